/**
 * The addon in a process holding CAP_NET_RAW and nothing else, as the chart runs the speaker: the socket opens,
 * receives and sends; the receive buffer falls back from SO_RCVBUFFORCE to SO_RCVBUF, capped at
 * 2 × net.core.rmem_max, and the size reported to JS is what the kernel holds (read independently with `ss`).
 * Needs root, iproute2 and setpriv (util-linux); skipped otherwise. Only the ilb-t-* namespaces and the
 * temporary directory created here are touched, and removed in afterAll.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, linkSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeArpRequest, ipBytesToText, ipTextToBytes } from '../../speaker/src/packet/index.js';
import { DEFAULT_RECEIVE_BUFFER_BYTES, type ReceiveBuffer } from './packet-socket.js';
import { Agent } from './testing/agent-process.js';

const suffix = randomBytes(3).toString('hex');
const NS_A = `ilb-t-ra${suffix}`; // the speaker's node
const NS_B = `ilb-t-rb${suffix}`; // a client
const IF_A = `ilb-t-rva${suffix}`; // 15 characters, the longest name Linux allows
const IF_B = `ilb-t-rvb${suffix}`;
const MAC_B = '02:00:00:00:0b:02';
const CAP_NET_RAW = 13;
const canRun =
  process.getuid?.() === 0 &&
  spawnSync('ip', ['-V']).status === 0 &&
  spawnSync('setpriv', ['--version']).status === 0 &&
  spawnSync('ss', ['-V']).status === 0;

/** The chart's speaker: UID 0, every capability dropped but NET_RAW (bounding set too), no_new_privs. */
const CHART_ROOT = ['setpriv', '--bounding-set=-all,+net_raw', '--inh-caps=-all', '--no-new-privs', '--'];
/** A non-root UID holding NET_RAW as an ambient capability. */
const NON_ROOT = [
  'setpriv',
  '--inh-caps=-all,+net_raw',
  '--ambient-caps=-all,+net_raw',
  '--bounding-set=-all,+net_raw',
  '--reuid=65532',
  '--regid=65532',
  '--clear-groups',
  '--no-new-privs',
  '--',
];
/** UID 0 without any capability. */
const NO_CAPS = ['setpriv', '--bounding-set=-all', '--inh-caps=-all', '--no-new-privs', '--'];

function sh(args: string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A capability set of a process from /proc/<pid>/status ('CapEff', 'CapBnd', ...), as a bigint mask. */
function capabilities(pid: number, set: string): bigint {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${set}:`));
  if (line === undefined) throw new Error(`no ${set} for ${pid}`);
  return BigInt(`0x${line.split(/\s+/)[1]}`);
}

function uid(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Uid:'));
  return Number(line?.split(/\s+/)[2]); // effective UID
}

/** sk_rcvbuf of the process's ARP packet socket(s) as `ss` reads it from the kernel (skmem rb). */
function ssReceiveBuffers(ns: string, pid: number): number[] {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'ss', '-0', '-m', '-p', '-n'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ss: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.includes('[2054]') && l.includes(`pid=${pid},`))
    .map((l) => Number(/\brb(\d+)/.exec(l)?.[1]));
}

describe.skipIf(!canRun)('packet socket with CAP_NET_RAW only', () => {
  let rmemMax: number;
  let nodeDir: string;
  let node: string;
  const agents: Agent[] = [];

  beforeAll(() => {
    sh(['netns', 'add', NS_A]);
    sh(['netns', 'add', NS_B]);
    sh(['link', 'add', IF_A, 'netns', NS_A, 'type', 'veth', 'peer', 'name', IF_B, 'netns', NS_B]);
    sh(['-n', NS_A, 'link', 'set', IF_A, 'up']);
    sh(['-n', NS_B, 'link', 'set', IF_B, 'address', MAC_B, 'up']);
    const r = spawnSync('ip', ['netns', 'exec', NS_A, 'cat', '/proc/sys/net/core/rmem_max'], {
      encoding: 'utf8',
    });
    rmemMax = Number(r.stdout.trim());
    // UID 65532 cannot reach the toolchain's node under /root: a link (or copy) in a world-readable directory.
    nodeDir = mkdtempSync(join(tmpdir(), 'ilb-t-node-'));
    chmodSync(nodeDir, 0o755);
    node = join(nodeDir, 'node');
    try {
      linkSync(process.execPath, node);
    } catch {
      copyFileSync(process.execPath, node);
      chmodSync(node, 0o755);
    }
  });

  afterAll(() => {
    for (const a of agents) a.stop();
    for (const ns of [NS_A, NS_B]) spawnSync('ip', ['netns', 'del', ns]);
    rmSync(nodeDir, { recursive: true, force: true });
  });

  function agent(wrap: readonly string[]): Agent {
    const a = new Agent(NS_A, IF_A, { wrap, node });
    agents.push(a);
    return a;
  }

  it('the namespace has an rmem_max to check against', () => {
    expect(rmemMax).toBeGreaterThanOrEqual(4096);
  });

  it.each([
    { who: 'UID 0 with NET_RAW only (the chart)', wrap: CHART_ROOT, uid: 0 },
    { who: 'UID 65532 with ambient NET_RAW', wrap: NON_ROOT, uid: 65532 },
  ])(
    '$who: opens, receives, and gets a receive buffer within 2 × rmem_max',
    async ({ wrap, uid: expectedUid }) => {
      const a = agent(wrap);
      // A request past rmem_max: SO_RCVBUFFORCE is refused, SO_RCVBUF caps it.
      const requested = 2 * rmemMax;
      expect(await a.call({ op: 'open', kind: 'arp', receiveBufferBytes: requested })).toBe('ok');
      expect(capabilities(a.pid, 'CapEff')).toBe(1n << BigInt(CAP_NET_RAW));
      expect(capabilities(a.pid, 'CapBnd')).toBe(1n << BigInt(CAP_NET_RAW));
      expect(uid(a.pid)).toBe(expectedUid);
      const buffer = (await a.call({ op: 'buffer', kind: 'arp' })) as ReceiveBuffer;
      expect(buffer).toEqual({ effectiveBytes: 2 * rmemMax, requestedBytes: requested, forced: false });
      expect(ssReceiveBuffers(NS_A, a.pid)).toEqual([buffer.effectiveBytes]);

      // The socket works: a request from the client arrives.
      const target = `192.0.2.${String(agents.length + 200)}`;
      const probe = encodeArpRequest({
        mac: Uint8Array.from(Buffer.from(MAC_B.replaceAll(':', ''), 'hex')),
        senderIp: ipTextToBytes('0.0.0.0')!,
        targetIp: ipTextToBytes(target)!,
      });
      const b = new Agent(NS_B, IF_B);
      agents.push(b);
      expect(await b.call({ op: 'open', kind: 'arp' })).toBe('ok');
      expect(await b.call({ op: 'send', kind: 'arp', hex: Buffer.from(probe).toString('hex') })).toBe('ok');
      await a.arp((p) => ipBytesToText(p.targetIp) === target);
      b.stop();
      a.stop();
    },
  );

  it('UID 0 with NET_RAW only: the default request is granted up to rmem_max and never more', async () => {
    const a = agent(CHART_ROOT);
    expect(await a.call({ op: 'open', kind: 'arp' })).toBe('ok');
    const buffer = (await a.call({ op: 'buffer', kind: 'arp' })) as ReceiveBuffer;
    expect(buffer.forced).toBe(false);
    expect(buffer.requestedBytes).toBe(DEFAULT_RECEIVE_BUFFER_BYTES);
    expect(buffer.effectiveBytes).toBe(2 * Math.min(DEFAULT_RECEIVE_BUFFER_BYTES, rmemMax));
    expect(buffer.effectiveBytes).toBeLessThanOrEqual(2 * rmemMax);
    expect(ssReceiveBuffers(NS_A, a.pid)).toEqual([buffer.effectiveBytes]);
    a.stop();
  });

  it('with every capability (CAP_NET_ADMIN) the same request is forced past rmem_max', async () => {
    const a = agent([]);
    const requested = 2 * rmemMax;
    expect(await a.call({ op: 'open', kind: 'arp', receiveBufferBytes: requested })).toBe('ok');
    const buffer = (await a.call({ op: 'buffer', kind: 'arp' })) as ReceiveBuffer;
    expect(buffer).toEqual({ effectiveBytes: 2 * requested, requestedBytes: requested, forced: true });
    expect(ssReceiveBuffers(NS_A, a.pid)).toEqual([buffer.effectiveBytes]);
    a.stop();
  });

  it('without CAP_NET_RAW the socket cannot be opened (EPERM)', async () => {
    const a = agent(NO_CAPS);
    expect(await a.call({ op: 'open', kind: 'arp' })).toBe('EPERM');
    expect(capabilities(a.pid, 'CapEff')).toBe(0n);
    a.stop();
  });
});
