/**
 * Runs inside the lab client namespace (`ip netns exec ilb-client node --conditions=ironlb-source --import tsx
 * bench/arp-load-agent.ts <iface> <ipv4>`) and drives one ARP packet socket for the speaker benchmarks:
 *
 * - `load`: sends ARP requests for random target IPs at a fixed offered rate and counts the ARP replies
 *   addressed to us, per answering MAC. Pacing: a 1 ms timer sends the deficit against rate × elapsed, capped
 *   per tick so that a stalled loop does not turn into a burst (skipped frames are reported, not hidden).
 * - `watch`: reports the first gratuitous ARP seen for each watched IP (epoch ms with sub-ms precision).
 *
 * Protocol: one JSON command per stdin line, one JSON line per reply or event on stdout.
 */
import { createInterface } from 'node:readline';
import { openPacketSocket, type PacketSocket } from '../packet-socket/src/index.js';
import { encodeArpRequest, ipBytesToText, formatMac, ipTextToBytes } from '../speaker/src/packet/index.js';

export type LoadAgentCommand =
  | { id: number; op: 'load'; targets: string[]; rate: number; durationMs: number; drainMs: number }
  | { id: number; op: 'watch'; ips: string[] }
  | { id: number; op: 'info' };

export interface LoadResult {
  /** Frames handed to the kernel successfully. */
  sent: number;
  /** send() returned 'again' (socket send buffer full) or another error. */
  sendFailed: number;
  /** Frames the pacer skipped because the loop fell more than one tick behind. */
  skipped: number;
  elapsedMs: number;
  /** ARP replies addressed to us for one of the targets, by sender MAC. */
  repliesByMac: Record<string, number>;
  replies: number;
}

export type LoadAgentEvent =
  | { ev: 'garp'; ip: string; mac: string; t: number }
  | { ev: 'ready'; mac: string }
  | { id: number; result: unknown };

/** At most this much backlog (ms of the offered rate) is sent in one tick after the loop stalled. */
const MAX_CATCH_UP_MS = 20;
const iface = process.argv[2] ?? 'eth0';
const ownIp = ipTextToBytes(process.argv[3] ?? '192.0.2.100') ?? new Uint8Array(4);
const ownIpWord = Buffer.from(ownIp).readUInt32BE(0);

interface Counting {
  targets: ReadonlySet<number>;
  byMac: Map<string, number>;
}

const state: { counting: Counting | null; watching: Set<string> } = { counting: null, watching: new Set() };

function now(): number {
  return performance.timeOrigin + performance.now();
}

function emit(message: LoadAgentEvent): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** Cheap check on raw bytes (hot path at 20k frames/s): Ethernet/IPv4 ARP, opcode 2, target IP = ours. */
function replySender(frame: Buffer): number | null {
  if (frame.length < 42 || frame.readUInt16BE(12) !== 0x0806 || frame.readUInt16BE(20) !== 2) return null;
  if (frame.readUInt32BE(38) !== ownIpWord) return null;
  return frame.readUInt32BE(28);
}

function onFrames(frames: Buffer[]): void {
  const counting = state.counting;
  for (const frame of frames) {
    const sender = counting ? replySender(frame) : null;
    if (counting && sender !== null && counting.targets.has(sender)) {
      const mac = frame.subarray(22, 28).toString('hex');
      counting.byMac.set(mac, (counting.byMac.get(mac) ?? 0) + 1);
    }
    if (state.watching.size > 0) watchFrame(frame);
  }
}

function watchFrame(frame: Buffer): void {
  if (frame.length < 42 || frame.readUInt16BE(12) !== 0x0806) return;
  const sender = frame.subarray(28, 32);
  if (!sender.equals(frame.subarray(38, 42))) return; // gratuitous: sender IP == target IP
  const ip = ipBytesToText(sender);
  if (!state.watching.delete(ip)) return;
  emit({ ev: 'garp', ip, mac: formatMac(frame.subarray(22, 28)), t: now() });
}

function macText(mac: Uint8Array): string {
  return Buffer.from(mac).toString('hex');
}

async function load(
  socket: PacketSocket,
  cmd: Extract<LoadAgentCommand, { op: 'load' }>,
): Promise<LoadResult> {
  const frames = cmd.targets.map((t) =>
    encodeArpRequest({ mac: socket.interface.mac, senderIp: ownIp, targetIp: ipTextToBytes(t) ?? ownIp }),
  );
  const targets = new Set(cmd.targets.map((t) => Buffer.from(ipTextToBytes(t) ?? ownIp).readUInt32BE(0)));
  const counting: Counting = { targets, byMac: new Map() };
  state.counting = counting;
  const result = { sent: 0, sendFailed: 0, skipped: 0 };
  const start = performance.now();
  const perTickCap = Math.max(1, Math.ceil((cmd.rate / 1000) * MAX_CATCH_UP_MS));
  let due = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - start;
      const target = Math.floor((Math.min(elapsed, cmd.durationMs) * cmd.rate) / 1000);
      let deficit = target - due;
      if (deficit > perTickCap) {
        result.skipped += deficit - perTickCap;
        due += deficit - perTickCap;
        deficit = perTickCap;
      }
      for (let i = 0; i < deficit; i++) {
        const frame = frames[Math.floor(Math.random() * frames.length)];
        if (frame && socket.send(frame) === 'ok') result.sent++;
        else result.sendFailed++;
      }
      due += deficit;
      if (elapsed >= cmd.durationMs) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  const elapsedMs = performance.now() - start;
  await new Promise((r) => setTimeout(r, cmd.drainMs));
  state.counting = null;
  const repliesByMac = Object.fromEntries(counting.byMac);
  const replies = [...counting.byMac.values()].reduce((a, b) => a + b, 0);
  return { ...result, elapsedMs, repliesByMac, replies };
}

function main(): void {
  const opened = openPacketSocket({
    interface: iface,
    kind: 'arp',
    onFrames,
    onError: (e) => {
      process.stderr.write(`packet socket error: ${e.code} ${e.message}\n`);
    },
  });
  if (!opened.ok) {
    process.stderr.write(`cannot open packet socket on ${iface}: ${opened.error}\n`);
    process.exit(1);
  }
  const socket = opened.value;
  emit({ ev: 'ready', mac: macText(socket.interface.mac) });
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const cmd = JSON.parse(line) as LoadAgentCommand;
    if (cmd.op === 'info') emit({ id: cmd.id, result: { mac: macText(socket.interface.mac) } });
    if (cmd.op === 'watch') {
      for (const ip of cmd.ips) state.watching.add(ip);
      emit({ id: cmd.id, result: 'ok' });
    }
    if (cmd.op === 'load') {
      void load(socket, cmd).then((result) => {
        emit({ id: cmd.id, result });
      });
    }
  });
  lines.on('close', () => {
    socket.close();
    process.exit(0);
  });
}

main();
