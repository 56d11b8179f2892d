import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  decodeArp,
  decodeNdp,
  encodeArpRequest,
  encodeNeighborSolicitation,
  formatMac,
  ipTextToBytes,
} from '../../../speaker/src/packet/index.js';

const AGENT = fileURLToPath(new URL('../../../packet-socket/src/testing/netns-agent.ts', import.meta.url));

interface AgentFrames {
  ev?: string;
  kind?: string;
  frames?: string[];
  id?: number;
  result?: unknown;
}

/**
 * A real L2 observer inside a network namespace (the lab client): sends an ARP request or a
 * neighbour solicitation for an IP and reports every MAC that answered, using the packet-socket addon.
 */
export class L2Capture {
  private child: ChildProcessWithoutNullStreams | null = null;
  private readonly frames: { kind: string; hex: string }[] = [];
  private readonly waiters = new Map<number, (result: unknown) => void>();
  private nextId = 1;
  private mac: Uint8Array = new Uint8Array(6);
  private ipv4: Uint8Array = new Uint8Array(4);
  private ipv6: Uint8Array = new Uint8Array(16);

  constructor(private readonly options: { netns: string; iface: string; ipv4: string; ipv6: string }) {}

  async start(): Promise<void> {
    const child = spawn(
      'ip',
      ['netns', 'exec', this.options.netns, process.execPath, '--import', 'tsx', AGENT, this.options.iface],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    createInterface({ input: child.stdout }).on('line', (line) => {
      const msg = JSON.parse(line) as AgentFrames;
      if (msg.ev === 'frames')
        for (const hex of msg.frames ?? []) this.frames.push({ kind: msg.kind ?? '', hex });
      if (msg.id !== undefined) this.waiters.get(msg.id)?.(msg.result);
    });
    const info = (await this.call({ op: 'info' })) as { mac: string };
    this.mac = Uint8Array.from(Buffer.from(info.mac, 'hex'));
    this.ipv4 = mustParse(this.options.ipv4);
    this.ipv6 = mustParse(this.options.ipv6);
    await this.call({ op: 'open', kind: 'arp' });
    await this.call({ op: 'open', kind: 'ndp' });
  }

  /** MACs that answered a who-has for `ip` within `windowMs` (sorted, unique). */
  async whoAnswers(ip: string, windowMs = 300): Promise<string[]> {
    const target = mustParse(ip);
    const v4 = target.length === 4;
    const frame = v4
      ? encodeArpRequest({ mac: this.mac, senderIp: this.ipv4, targetIp: target })
      : encodeNeighborSolicitation({ mac: this.mac, src: this.ipv6, target });
    const from = this.frames.length;
    await this.call({ op: 'send', kind: v4 ? 'arp' : 'ndp', hex: Buffer.from(frame).toString('hex') });
    await new Promise((r) => setTimeout(r, windowMs));
    const macs = new Set<string>();
    for (const f of this.frames.slice(from)) {
      const bytes = Uint8Array.from(Buffer.from(f.hex, 'hex'));
      const mac = v4 ? arpAnswer(bytes, ip) : ndpAnswer(bytes, ip);
      if (mac) macs.add(mac);
    }
    return [...macs].sort();
  }

  /** Every frame seen so far, decoded as "who claims which IP" (for conflict tests). */
  stop(): void {
    this.child?.stdin.end();
    this.child?.kill('SIGTERM');
    this.child = null;
  }

  private async call(cmd: Record<string, unknown>): Promise<unknown> {
    const id = this.nextId++;
    const child = this.child;
    if (!child) throw new Error('L2Capture not started');
    const result = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`agent did not answer ${JSON.stringify(cmd)}`));
      }, 10_000);
      this.waiters.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
    child.stdin.write(`${JSON.stringify({ ...cmd, id })}\n`);
    return result;
  }
}

function mustParse(ip: string): Uint8Array {
  const bytes = ipTextToBytes(ip);
  if (!bytes) throw new Error(`not an IP: ${ip}`);
  return bytes;
}

function arpAnswer(frame: Uint8Array, ip: string): string | null {
  const arp = decodeArp(frame);
  if (arp?.op !== 'reply') return null;
  return Buffer.from(arp.senderIp).equals(Buffer.from(mustParse(ip))) ? formatMac(arp.senderMac) : null;
}

function ndpAnswer(frame: Uint8Array, ip: string): string | null {
  const msg = decodeNdp(frame);
  if (msg?.kind !== 'na') return null;
  if (!Buffer.from(msg.target).equals(Buffer.from(mustParse(ip)))) return null;
  return formatMac(msg.targetLinkLayer ?? msg.ethSrc);
}
