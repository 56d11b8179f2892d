import { Worker } from 'node:worker_threads';
import { familyOfValidIP } from '@ironlb/shared';
import type { FromWorker, ToWorker, WorkerAddress, WorkerPeer } from './heartbeat-worker.js';

/**
 * Sends heartbeats from a worker thread so that a busy main event loop (GC, a large relist) does not
 * make peers think this speaker died.
 *
 * The main thread signs datagrams ahead of time for the next `aheadSlots` time slots and hands them to
 * the worker; the worker sends the datagram of the current slot every interval. If the main thread
 * stalls for longer than `aheadSlots` intervals the worker runs out of signed datagrams and goes
 * silent, so a truly hung speaker still fails over. A dead process stops both threads at once.
 * When what a heartbeat says changes (claims digest, stale flag, MACs, our address), `resign` replaces
 * the datagrams of all future slots and the worker sends the next one at once, so peers hear the change
 * without waiting for the next slot.
 *
 * Slots are derived from the process-wide monotonic clock, so both threads agree on them.
 */
export interface HeartbeatSenderOptions {
  intervalMs: number;
  aheadSlots: number;
  /** Signs the heartbeat for a slot (the slot is its sequence number); undefined skips the slot. */
  sign: (slot: number) => Buffer | undefined;
  onBindFailed?: (address: string, error: string) => void;
}

export interface Peer {
  name: string;
  address: string;
  port: number;
}

// From source the module is .ts (Node strips types in the worker too); from dist it is .js.
const WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './heartbeat-worker.ts' : './heartbeat-worker.js',
  import.meta.url,
);

export class HeartbeatSender {
  private worker: Worker | null = null;
  private timer: NodeJS.Timeout | null = null;
  private startMs = 0;
  private signedUpTo = -1;

  constructor(private readonly options: HeartbeatSenderOptions) {}

  start(peers: Peer[], source: string | undefined): void {
    if (this.worker) return;
    this.startMs = monotonicMs();
    const worker = new Worker(WORKER_URL);
    this.worker = worker;
    worker.unref();
    worker.on('message', (msg: FromWorker) => {
      if (msg.type === 'bind-failed') this.options.onBindFailed?.(msg.address, msg.error);
    });
    // A worker that dies while we still run would leave us announcing while peers think we are dead: crash
    // loudly instead (an error inside the worker surfaces as an unhandled 'error' event, which crashes too).
    worker.on('exit', (code) => {
      if (this.worker === worker) throw new Error(`heartbeat worker exited unexpectedly (code ${code})`);
    });
    this.post({ type: 'config', intervalMs: this.options.intervalMs, startMs: this.startMs });
    this.setPeers(peers, source);
    this.topUp();
    this.timer = setInterval(() => {
      this.topUp();
    }, this.options.intervalMs);
    this.timer.unref();
  }

  setPeers(peers: Peer[], source: string | undefined): void {
    this.post({
      type: 'peers',
      peers: peers.map(workerPeer),
      source: source === undefined ? undefined : workerAddress(source),
    });
  }

  /** The current slot: the sequence of the heartbeat being sent now. */
  currentSequence(): number {
    return this.currentSlot();
  }

  /** Monotonic time at which a slot starts. */
  slotStartMs(slot: number): number {
    return this.startMs + slot * this.options.intervalMs;
  }

  /** A sequence number above every slot signed so far (for a final "leaving" heartbeat). */
  finalSequence(): number {
    return Math.max(this.signedUpTo, this.currentSlot() + this.options.aheadSlots) + 1;
  }

  /** Re-signs every future slot already handed to the worker (what a heartbeat says changed). */
  resign(): void {
    if (!this.worker || !this.timer) return;
    const current = this.currentSlot();
    this.postSlots({ from: current, to: Math.max(this.signedUpTo, current), urgent: true });
  }

  /** Sends datagrams once to the given peers (claim chunks, pulls). */
  send(datagrams: Buffer[], to: Peer[]): void {
    if (datagrams.length === 0 || to.length === 0) return;
    this.post({
      type: 'send',
      datagrams: datagrams.map(compact),
      to: to.map(workerPeer),
    });
  }

  /** Stops heartbeating and sends `datagram` (a signed "leaving") a few times; resolves once out. */
  async leave(opts: { datagram: Buffer; repeat: number; spacingMs: number }): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.stopTimer();
    await new Promise<void>((resolve) => {
      const done = (msg: FromWorker): void => {
        if (msg.type !== 'left') return;
        worker.off('message', done);
        resolve();
      };
      worker.on('message', done);
      this.post({ type: 'leave', ...opts, datagram: compact(opts.datagram) });
    });
  }

  async stop(): Promise<void> {
    this.stopTimer();
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    worker.postMessage({ type: 'stop' } satisfies ToWorker);
    await worker.terminate();
  }

  private post(msg: ToWorker): void {
    this.worker?.postMessage(msg);
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
    this.postSlots({ from: Math.max(current, this.signedUpTo + 1), to: last, urgent: false });
  }

  private postSlots({ from, to, urgent }: { from: number; to: number; urgent: boolean }): void {
    const slots: [number, Uint8Array][] = [];
    for (let slot = from; slot <= to; slot++) {
      const datagram = this.options.sign(slot);
      if (datagram) slots.push([slot, compact(datagram)]);
    }
    this.signedUpTo = Math.max(this.signedUpTo, to);
    if (slots.length > 0) this.post({ type: 'slots', slots, urgent });
  }
}

/** A copy with its own ArrayBuffer: posting a pooled Buffer would clone the whole pool slab. */
function compact(datagram: Buffer): Uint8Array {
  return new Uint8Array(datagram);
}

export function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1_000_000n);
}

/** The worker does not parse addresses: it gets each one's family (node addresses, so valid IPs). */
function workerAddress(address: string): WorkerAddress {
  return { address, family: familyOfValidIP(address) };
}

function workerPeer(p: Peer): WorkerPeer {
  return { ...workerAddress(p.address), port: p.port };
}
