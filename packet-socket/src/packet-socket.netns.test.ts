/**
 * Real frames through the addon: two network namespaces joined by a veth pair on documentation addresses,
 * one agent process per namespace (testing/netns-agent.ts). Needs root (CI runs as root) and iproute2;
 * skipped otherwise. Only namespaces and links named ilb-t-* created here are touched, and removed in afterAll.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bytesEqual,
  decodeNdp,
  encodeArpReply,
  encodeArpRequest,
  encodeGratuitousArp,
  encodeNaReply,
  encodeNeighborSolicitation,
  encodeUnsolicitedNa,
  ipBytesToText,
  formatMac,
  ipTextToBytes,
  solicitedNodeMac,
  type NeighborSolicitation,
} from '../../speaker/src/packet/index.js';
import { Agent, until } from './testing/agent-process.js';

const suffix = randomBytes(3).toString('hex');
const NS_A = `ilb-t-a${suffix}`; // the "speaker" namespace
const NS_B = `ilb-t-b${suffix}`; // the client
const IF_A = `ilb-t-va${suffix}`;
const IF_B = `ilb-t-vb${suffix}`;
const IF_D = `ilb-t-d${suffix}`; // a veth pair inside A (no dummy driver here), deleted and re-created
const IF_E = `ilb-t-e${suffix}`;
const MAC_A = '02:00:00:00:0a:01';
const MAC_B = '02:00:00:00:0b:01';
const OTHER_MAC = '02:00:00:00:0c:01';
const VIP4 = '192.0.2.100';
const VIP6 = '2001:db8::100';
const canRun = process.getuid?.() === 0 && spawnSync('ip', ['-V']).status === 0;

const ip = (s: string): Uint8Array => ipTextToBytes(s)!;
const mac = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replaceAll(':', ''), 'hex'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function sh(args: string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function neighbour(ns: string, addr: string): string {
  return sh(['-n', ns, 'neigh', 'show', addr, 'dev', IF_B]);
}

describe.skipIf(!canRun)('packet socket in network namespaces', () => {
  let a: Agent;
  let b: Agent;

  beforeAll(async () => {
    sh(['netns', 'add', NS_A]);
    sh(['netns', 'add', NS_B]);
    sh(['link', 'add', IF_A, 'netns', NS_A, 'type', 'veth', 'peer', 'name', IF_B, 'netns', NS_B]);
    for (const [ns, ifc, m, v4, v6] of [
      [NS_A, IF_A, MAC_A, '192.0.2.1/24', '2001:db8::1/64'],
      [NS_B, IF_B, MAC_B, '192.0.2.2/24', '2001:db8::2/64'],
    ] as const) {
      sh(['-n', ns, 'link', 'set', ifc, 'address', m, 'up']);
      sh(['-n', ns, 'addr', 'add', v4, 'dev', ifc]);
      sh(['-n', ns, 'addr', 'add', v6, 'dev', ifc, 'nodad']);
    }
    a = new Agent(NS_A, IF_A);
    b = new Agent(NS_B, IF_B);
    for (const agent of [a, b]) {
      expect(await agent.call({ op: 'open', kind: 'arp' })).toBe('ok');
      expect(await agent.call({ op: 'open', kind: 'ndp' })).toBe('ok');
    }
  }, 60_000);

  afterAll(() => {
    (a as Agent | undefined)?.stop();
    (b as Agent | undefined)?.stop();
    for (const ns of [NS_A, NS_B]) spawnSync('ip', ['netns', 'del', ns]);
  });

  it('reports interface info', async () => {
    expect(await a.call({ op: 'info' })).toMatchObject({
      mac: MAC_A.replaceAll(':', ''),
      hwType: 1,
      up: true,
    });
  });

  it('receives a kernel ARP request; the reply it sends resolves the peer neighbour', async () => {
    spawnSync('ip', ['netns', 'exec', NS_B, 'bash', '-c', `echo x > /dev/udp/${VIP4}/9`]);
    const request = await a.arp((p) => p.op === 'request' && ipBytesToText(p.targetIp) === VIP4);
    expect(formatMac(request.senderMac)).toBe(MAC_B);
    expect(await a.call({ op: 'send', kind: 'arp', hex: hex(encodeArpReply(request, mac(MAC_A))) })).toBe(
      'ok',
    );
    const seen = await b.arp((p) => p.op === 'reply' && ipBytesToText(p.senderIp) === VIP4);
    expect(formatMac(seen.senderMac)).toBe(MAC_A);
    await until('neighbour entry', () => (neighbour(NS_B, VIP4).includes(`lladdr ${MAC_A}`) ? true : null));
  });

  it.each(['request', 'reply'] as const)(
    'a gratuitous ARP (%s form) updates an existing neighbour entry',
    async (op) => {
      sh(['-n', NS_B, 'neigh', 'replace', VIP4, 'lladdr', OTHER_MAC, 'dev', IF_B, 'nud', 'stale']);
      expect(neighbour(NS_B, VIP4)).toContain(OTHER_MAC);
      const garp = encodeGratuitousArp({ mac: mac(MAC_A), ip: ip(VIP4), op });
      expect(await a.call({ op: 'send', kind: 'arp', hex: hex(garp) })).toBe('ok');
      await until('GARP update', () => (neighbour(NS_B, VIP4).includes(`lladdr ${MAC_A}`) ? true : null));
    },
  );

  it('joins the solicited-node group, receives a kernel NS and answers it', async () => {
    const group = solicitedNodeMac(ip(VIP6));
    expect(await a.call({ op: 'join', kind: 'ndp', hex: hex(group) })).toBe('ok');
    expect(sh(['-n', NS_A, 'maddress', 'show', 'dev', IF_A])).toContain(formatMac(group));
    spawnSync('ip', ['netns', 'exec', NS_B, 'bash', '-c', `echo x > /dev/udp/${VIP6}/9`]);
    const ns = await until('NS', () =>
      a.frames
        .map((f) => decodeNdp(f.frame))
        .find((m): m is NeighborSolicitation => m?.kind === 'ns' && ipBytesToText(m.target) === VIP6),
    );
    expect(await a.call({ op: 'send', kind: 'ndp', hex: hex(encodeNaReply(ns, mac(MAC_A))) })).toBe('ok');
    await until('IPv6 neighbour', () => (neighbour(NS_B, VIP6).includes(`lladdr ${MAC_A}`) ? true : null));
    expect(await a.call({ op: 'leave', kind: 'ndp', hex: hex(group) })).toBe('ok');
    expect(sh(['-n', NS_A, 'maddress', 'show', 'dev', IF_A])).not.toContain(formatMac(group));
  });

  it('the filter drops an NS with hop limit 64 and passes one with 255', async () => {
    const ns = (target: string, hopLimit: number): string =>
      hex(
        encodeNeighborSolicitation({ mac: mac(MAC_B), src: ip('2001:db8::2'), target: ip(target), hopLimit }),
      );
    expect(await b.call({ op: 'send', kind: 'ndp', hex: ns('2001:db8::101', 64) })).toBe('ok');
    expect(await b.call({ op: 'send', kind: 'ndp', hex: ns('2001:db8::102', 255) })).toBe('ok');
    const targets = (): string[] =>
      a.frames.flatMap((f) => {
        const m = decodeIpv6Target(f.frame);
        return m === null ? [] : [m];
      });
    await until('NS ::102', () => (targets().includes('2001:db8::102') ? true : null));
    expect(targets()).not.toContain('2001:db8::101'); // sent first on the same veth: it would be here by now
  });

  it('an unsolicited NA overrides an existing IPv6 neighbour entry', async () => {
    sh(['-n', NS_B, 'neigh', 'replace', VIP6, 'lladdr', OTHER_MAC, 'dev', IF_B, 'nud', 'stale']);
    const na = encodeUnsolicitedNa({ mac: mac(MAC_A), ip: ip(VIP6) });
    expect(await a.call({ op: 'send', kind: 'ndp', hex: hex(na) })).toBe('ok');
    await until('NA update', () => (neighbour(NS_B, VIP6).includes(`lladdr ${MAC_A}`) ? true : null));
  });

  it("never delivers a socket its own outgoing frames (ours, and the kernel's)", async () => {
    // A's kernel resolves 192.0.2.55 and 2001:db8::55: B must see those frames, A's sockets must not.
    for (const target of ['192.0.2.55', '2001:db8::55']) {
      spawnSync('ip', ['netns', 'exec', NS_A, 'bash', '-c', `echo x > /dev/udp/${target}/9`]);
    }
    await b.arp((p) => ipBytesToText(p.targetIp) === '192.0.2.55');
    await until('kernel NS from A', () => b.frames.find((f) => decodeIpv6Target(f.frame) === '2001:db8::55'));
    for (const [agent, own] of [
      [a, MAC_A],
      [b, MAC_B],
    ] as const) {
      expect(agent.frames.length).toBeGreaterThan(0);
      expect(agent.frames.filter((f) => bytesEqual(f.frame.subarray(6, 12), mac(own)))).toEqual([]);
    }
  });

  it('the reopening socket survives the interface going down and up', async () => {
    expect(await a.call({ op: 'reopening', kind: 'arp' })).toBe('ok');
    const opens = (): number => a.events.filter((e) => e.ev === 'open').length;
    await until('first open', () => (opens() === 1 ? true : null));
    sh(['-n', NS_A, 'link', 'set', IF_A, 'down']);
    const down = await until('down event', () => a.events.find((e) => e.ev === 'down'));
    expect(down).toMatchObject({ code: 'ENETDOWN' });
    sh(['-n', NS_A, 'link', 'set', IF_A, 'up']);
    await until('reopen', () => (opens() === 2 ? true : null));
    const probe = encodeArpRequest({ mac: mac(MAC_B), senderIp: ip('0.0.0.0'), targetIp: ip('192.0.2.200') });
    await until('peer link up', async () => b.call({ op: 'send', kind: 'arp', hex: hex(probe) }));
    await a.arp((p) => ipBytesToText(p.targetIp) === '192.0.2.200', 'arp-reopening');
  });

  it('the reopening socket survives the interface being deleted and re-created', async () => {
    const addDummy = (): void => {
      sh(['-n', NS_A, 'link', 'add', IF_D, 'type', 'veth', 'peer', 'name', IF_E]);
      sh(['-n', NS_A, 'link', 'set', IF_E, 'up']);
      sh(['-n', NS_A, 'link', 'set', IF_D, 'up']);
    };
    addDummy();
    const d = new Agent(NS_A, IF_D);
    try {
      expect(await d.call({ op: 'reopening', kind: 'arp' })).toBe('ok');
      const opens = (): number => d.events.filter((e) => e.ev === 'open').length;
      await until('first open', () => (opens() === 1 ? true : null));
      sh(['-n', NS_A, 'link', 'del', IF_D]);
      const down = await until('down event', () => d.events.find((e) => e.ev === 'down'));
      expect(['ENETDOWN', 'ENODEV', 'ENXIO']).toContain('code' in down ? down.code : '');
      addDummy();
      await until('reopen on the new link', () => (opens() === 2 ? true : null));
    } finally {
      d.stop();
    }
  });
});

function decodeIpv6Target(frame: Uint8Array): string | null {
  const m = decodeNdp(frame);
  if (m !== null) return ipBytesToText(m.target);
  // Decoding rejects hop limit != 255; read the target directly so a leaked frame would still be noticed.
  return frame.length >= 78 && bytesEqual(frame.subarray(12, 14), Uint8Array.of(0x86, 0xdd))
    ? ipBytesToText(frame.subarray(62, 78))
    : null;
}
