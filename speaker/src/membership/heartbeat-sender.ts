import {
  startHeartbeatThread,
  type HeartbeatThread,
  type HeartbeatThreadOptions,
} from '@ironlb/packet-socket';
import type { Result } from '@ironlb/shared';

/**
 * Sends heartbeats from a native thread of the packet-socket addon (no second V8 isolate) so that a busy main
 * event loop (GC, a large relist, CPU starvation) does not make peers think this speaker died.
 *
 * The main thread signs datagrams ahead of time for the next `aheadSlots` time slots and hands them to the
 * thread; the thread sends the datagram of the current slot at the start of every slot. If the main thread
 * stalls for longer than `aheadSlots` intervals the thread runs out of signed datagrams and goes silent, so a
 * truly hung speaker still fails over. A dead process stops both threads at once. When what a heartbeat says
 * changes (claims digest, stale flag, MACs, our address), `resign` replaces the datagrams of all future slots and
 * the next one is sent at once, so peers hear the change without waiting for the next slot.
 *
 * Slots are derived from the process-wide monotonic clock, so both threads agree on them. Send failures and a
 * failed bind to our node address are read from the thread once per interval and reported, never dropped.
 */
export interface HeartbeatSenderOptions {
  intervalMs: number;
  aheadSlots: number;
  /** Signs the heartbeat for a slot (the slot is its sequence number); undefined skips the slot. */
  sign: (slot: number) => Buffer | undefined;
  onBindFailed?: (address: string, error: string) => void;
  /** Datagrams the kernel refused since the last report (`count`), with the errno code of the last one. */
  onSendFailed?: (count: number, code: string) => void;
  /** The sending thread; tests pass a fake. */
  startThread?: (options: HeartbeatThreadOptions) => Result<HeartbeatThread>;
}

export interface Peer {
  name: string;
  address: string;
  port: number;
}

export class HeartbeatSender {
  private thread: HeartbeatThread | null = null;
  private timer: NodeJS.Timeout | null = null;
  private startMs = 0;
  private signedUpTo = -1;
  private reportedErrors = 0;
  private peers: Peer[] = [];

  constructor(private readonly options: HeartbeatSenderOptions) {}

  /** Starts the sending thread; an errno code name if it cannot be created. */
  start(peers: Peer[], source: string | undefined): Result<void> {
    if (this.thread) return { ok: true, value: undefined };
    this.startMs = monotonicMs();
    const started = (this.options.startThread ?? startHeartbeatThread)({
      startMs: this.startMs,
      intervalMs: this.options.intervalMs,
      // Slots signed ahead, plus the current one and one re-signed early by an urgent send.
      capacity: this.options.aheadSlots + 2,
    });
    if (!started.ok) return started;
    this.thread = started.value;
    this.reportedErrors = 0;
    this.setPeers(peers, source);
    this.topUp();
    this.timer = setInterval(() => {
      this.topUp();
      this.report();
    }, this.options.intervalMs);
    this.timer.unref();
    return { ok: true, value: undefined };
  }

  setPeers(peers: Peer[], source: string | undefined): void {
    this.peers = peers;
    this.thread?.setPeers(peers.map(destination), source);
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

  /** Re-signs every future slot already handed to the thread (what a heartbeat says changed). */
  resign(): void {
    if (!this.thread || !this.timer) return;
    const current = this.currentSlot();
    this.handSlots({ from: current, to: Math.max(this.signedUpTo, current), urgent: true });
  }

  /** Sends datagrams once to the given peers (claim chunks, pulls), now, over the thread's sockets. */
  send(datagrams: Buffer[], to: Peer[]): void {
    if (datagrams.length === 0 || to.length === 0) return;
    this.thread?.send(datagrams, to.map(destination));
  }

  /** Stops heartbeating and sends `datagram` (a signed "leaving") a few times; resolves once out. */
  async leave(opts: { datagram: Buffer; repeat: number; spacingMs: number }): Promise<void> {
    const thread = this.thread;
    if (!thread) return;
    this.stopTimer();
    thread.clear();
    for (let i = 0; i < opts.repeat; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, opts.spacingMs));
      if (this.thread !== thread) return;
      thread.send([opts.datagram], this.peers);
    }
    this.report();
  }

  /** Joins the sending thread (nothing is sent afterwards) and reports what failed since the last report. */
  stop(): Promise<void> {
    this.stopTimer();
    const thread = this.thread;
    if (!thread) return Promise.resolve();
    this.report();
    this.thread = null;
    thread.stop();
    return Promise.resolve();
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
    this.handSlots({ from: Math.max(current, this.signedUpTo + 1), to: last, urgent: false });
  }

  private handSlots({ from, to, urgent }: { from: number; to: number; urgent: boolean }): void {
    const slots: [number, Uint8Array][] = [];
    for (let slot = from; slot <= to; slot++) {
      const datagram = this.options.sign(slot);
      if (datagram) slots.push([slot, datagram]);
    }
    this.signedUpTo = Math.max(this.signedUpTo, to);
    if (slots.length > 0) this.thread?.setSlots(slots, urgent);
  }

  /** Tells the owner what the thread could not do since the last report. */
  private report(): void {
    const stats = this.thread?.stats();
    if (!stats) return;
    if (stats.bindFailure) this.options.onBindFailed?.(stats.bindFailure.address, stats.bindFailure.code);
    if (stats.errors > this.reportedErrors) {
      this.options.onSendFailed?.(stats.errors - this.reportedErrors, stats.lastError ?? 'unknown');
      this.reportedErrors = stats.errors;
    }
  }
}

function destination(p: Peer): { address: string; port: number } {
  return { address: p.address, port: p.port };
}

export function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1_000_000n);
}
