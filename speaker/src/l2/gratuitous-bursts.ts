/**
 * Schedules the takeover bursts of an interface: for each IP, one callback per step of `scheduleMs` (ms after
 * the burst starts). IPs whose bursts start together share one timer per step, so a relist that takes over
 * 1,000 IPs arms as many timers as the schedule has steps, not 1,000 times that, and an IP keeps nothing once
 * its burst is over.
 *
 * Invariants: every IP gets each step of its latest burst exactly once, in schedule order, unless cancelled;
 * starting a new burst for an IP ends its previous one (steps not yet sent are not sent); `cancel` ends it;
 * after an IP's last step, or its cancel, it is held nowhere.
 */
export interface GratuitousBurstsOptions {
  scheduleMs: readonly number[];
  /** Called for each IP at each step (`step` is the index in `scheduleMs`). */
  onStep: (ip: string, step: number) => void;
}

/** IPs whose bursts started together, and the timers of the steps not yet run. */
interface Batch {
  readonly ips: Set<string>;
  readonly timers: NodeJS.Timeout[];
}

export class GratuitousBursts {
  private readonly batchOf = new Map<string, Batch>();
  private pending: Batch | null = null;

  constructor(private readonly options: GratuitousBurstsOptions) {}

  /** IPs with a burst under way. */
  get size(): number {
    return this.batchOf.size;
  }

  /**
   * Starts a burst for `ip`. IPs started within the same turn of the event loop share timers: the batch is
   * armed once, on the first start, and the steps run for whatever IPs it holds when they fire.
   */
  start(ip: string): void {
    this.cancel(ip);
    const batch = this.pending ?? this.arm();
    batch.ips.add(ip);
    this.batchOf.set(ip, batch);
  }

  cancel(ip: string): void {
    const batch = this.batchOf.get(ip);
    if (!batch) return;
    batch.ips.delete(ip);
    this.batchOf.delete(ip);
    if (batch.ips.size === 0 && batch !== this.pending) this.clear(batch);
  }

  /** Cancels every burst. */
  stop(): void {
    for (const ip of [...this.batchOf.keys()]) this.cancel(ip);
    if (this.pending) this.clear(this.pending);
    this.pending = null;
  }

  private arm(): Batch {
    const batch: Batch = { ips: new Set(), timers: [] };
    const { scheduleMs } = this.options;
    const last = scheduleMs.length - 1;
    scheduleMs.forEach((delay, step) => {
      batch.timers.push(
        setTimeout(() => {
          this.run(batch, step, step === last);
        }, delay),
      );
    });
    this.pending = batch;
    // A batch takes starts until the current turn ends; the first step cannot fire before that.
    queueMicrotask(() => {
      if (this.pending === batch) this.pending = null;
      if (batch.ips.size === 0) this.clear(batch);
    });
    return batch;
  }

  private run(batch: Batch, step: number, last: boolean): void {
    if (this.pending === batch) this.pending = null;
    for (const ip of [...batch.ips]) {
      if (last) {
        batch.ips.delete(ip);
        this.batchOf.delete(ip);
      }
      this.options.onStep(ip, step);
    }
  }

  private clear(batch: Batch): void {
    for (const t of batch.timers) clearTimeout(t);
    batch.timers.length = 0;
  }
}
