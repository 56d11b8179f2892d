import { Worker } from 'node:worker_threads';

/**
 * Sends heartbeats from a worker thread so that a busy main event loop (GC, a large relist) does not
 * make peers think this speaker died.
 *
 * The main thread signs datagrams ahead of time for the next `aheadSlots` time slots and hands them to
 * the worker; the worker sends the datagram of the current slot every interval. If the main thread
 * stalls for longer than `aheadSlots` intervals the worker runs out of signed datagrams and goes
 * silent, so a truly hung speaker still fails over. A dead process stops both threads at once.
 *
 * Slots are derived from the process-wide monotonic clock, so both threads agree on them.
 */
export interface HeartbeatSenderOptions {
  intervalMs: number;
  aheadSlots: number;
  /** Signs the datagram for a given slot (the slot is the heartbeat's sequence number). */
  sign: (slot: number, kind: 'alive' | 'leaving') => Buffer;
}

export interface Peer {
  name: string;
  address: string;
  port: number;
}

// Plain CommonJS run with `eval: true`, so it works the same from source (tests) and from dist.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const dgram = require('node:dgram');
let socket4 = null, socket6 = null;
let peers = [];
let slots = new Map();
let timer = null;
let config = null;
function nowMs() { return Number(process.hrtime.bigint() / 1000000n); }
function open(type) { const s = dgram.createSocket(type); s.on('error', () => {}); return s; }
function socketFor(address) {
  if (address.includes(':')) return (socket6 ??= open('udp6'));
  return (socket4 ??= open('udp4'));
}
function sendToAll(buf) { for (const p of peers) socketFor(p.address).send(buf, p.port, p.address, () => {}); }
function tick() {
  const slot = Math.floor((nowMs() - config.startMs) / config.intervalMs);
  const buf = slots.get(slot);
  for (const s of slots.keys()) if (s < slot) slots.delete(s);
  if (buf) sendToAll(buf);
}
parentPort.on('message', (msg) => {
  if (msg.type === 'config') { config = msg; timer = setInterval(tick, msg.intervalMs); tick(); }
  else if (msg.type === 'peers') { peers = msg.peers; }
  else if (msg.type === 'slots') { for (const [slot, buf] of msg.slots) slots.set(slot, Buffer.from(buf)); }
  else if (msg.type === 'leave') {
    clearInterval(timer); slots.clear();
    const buf = Buffer.from(msg.datagram);
    let n = 0;
    const again = () => { sendToAll(buf); if (++n < msg.repeat) setTimeout(again, msg.spacingMs); else setTimeout(() => parentPort.postMessage({ type: 'left' }), 5); };
    again();
  } else if (msg.type === 'stop') {
    clearInterval(timer); socket4?.close(); socket6?.close(); parentPort.close();
  }
});
`;

export class HeartbeatSender {
  private worker: Worker | null = null;
  private timer: NodeJS.Timeout | null = null;
  private startMs = 0;
  private signedUpTo = -1;

  constructor(private readonly options: HeartbeatSenderOptions) {}

  start(peers: Peer[]): void {
    if (this.worker) return;
    this.startMs = monotonicMs();
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.unref();
    this.worker.postMessage({ type: 'config', intervalMs: this.options.intervalMs, startMs: this.startMs });
    this.setPeers(peers);
    this.topUp();
    this.timer = setInterval(() => {
      this.topUp();
    }, this.options.intervalMs);
    this.timer.unref();
  }

  setPeers(peers: Peer[]): void {
    this.worker?.postMessage({ type: 'peers', peers });
  }

  /** Stops heartbeating and tells peers we are leaving; resolves once the datagrams are out. */
  async leave(opts: { repeat: number; spacingMs: number }): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.stopTimer();
    const datagram = this.options.sign(this.currentSlot() + this.options.aheadSlots + 1, 'leaving');
    await new Promise<void>((resolve) => {
      const done = (msg: { type?: string }): void => {
        if (msg.type !== 'left') return;
        worker.off('message', done);
        resolve();
      };
      worker.on('message', done);
      worker.postMessage({ type: 'leave', datagram, ...opts });
    });
  }

  async stop(): Promise<void> {
    this.stopTimer();
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    worker.postMessage({ type: 'stop' });
    await worker.terminate();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private currentSlot(): number {
    return Math.floor((monotonicMs() - this.startMs) / this.options.intervalMs);
  }

  /** Keeps signed datagrams ready for the next `aheadSlots` slots. */
  private topUp(): void {
    const current = this.currentSlot();
    const last = current + this.options.aheadSlots;
    const slots: [number, Buffer][] = [];
    for (let slot = Math.max(current, this.signedUpTo + 1); slot <= last; slot++) {
      slots.push([slot, this.options.sign(slot, 'alive')]);
    }
    this.signedUpTo = last;
    if (slots.length > 0) this.worker?.postMessage({ type: 'slots', slots });
  }
}

export function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1_000_000n);
}
