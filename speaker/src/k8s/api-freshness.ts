/**
 * How fresh this speaker's view of the API server is: a cheap probe (GET /readyz) every `intervalMs`, each
 * bounded by `timeoutMs`; stalenessMs = now − last success.
 *
 * Invariants:
 *  - stalenessMs() never decreases except on a successful probe, and counts from start() until the first one
 *    (a view that was never confirmed is as old as our attempt to confirm it).
 *  - At most one probe is in flight; a probe that outlives its timeout is aborted and counts as a failure.
 *  - onStaleChange fires once per transition of `stalenessMs() > staleAfterMs`, checked after every probe.
 */
export interface ApiFreshnessOptions {
  /** Resolves true when the API server answered; aborted through the signal on timeout. Never rejects. */
  probe: (signal: AbortSignal) => Promise<boolean>;
  intervalMs: number;
  timeoutMs: number;
  staleAfterMs: number;
  onStaleChange?: (stale: boolean, stalenessMs: number) => void;
  /** Monotonic clock (ms); default performance.now. */
  now?: () => number;
}

export class ApiFreshness {
  private lastOkMs: number | null = null;
  private startedMs: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: AbortController | null = null;
  private wasStale = false;
  private stopped = false;

  constructor(private readonly options: ApiFreshnessOptions) {}

  start(signal: AbortSignal): void {
    this.startedMs = this.now();
    this.stopped = false;
    signal.addEventListener(
      'abort',
      () => {
        this.stop();
      },
      { once: true },
    );
    void this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.inFlight?.abort();
    this.inFlight = null;
  }

  /** Age of the view: time since the API server last answered (since start() before it ever did). */
  stalenessMs(): number {
    const now = this.now();
    const since = this.lastOkMs ?? this.startedMs ?? now;
    return Math.max(0, now - since);
  }

  stale(): boolean {
    return this.stalenessMs() > this.options.staleAfterMs;
  }

  /** Records a success seen elsewhere (e.g. a LIST that just completed). */
  noteSuccess(): void {
    this.lastOkMs = this.now();
    this.checkTransition();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const started = this.now();
    const ok = await this.probeOnce();
    if (!this.running()) return;
    if (ok) this.lastOkMs = started;
    this.checkTransition();
    const wait = Math.max(0, this.options.intervalMs - (this.now() - started));
    this.timer = setTimeout(() => void this.tick(), wait);
    this.timer.unref();
  }

  /** One probe bounded by timeoutMs; an aborted probe is a failure whatever it resolves to. */
  private async probeOnce(): Promise<boolean> {
    const controller = new AbortController();
    this.inFlight = controller;
    const timeout = setTimeout(() => {
      controller.abort();
    }, this.options.timeoutMs);
    const aborted = new Promise<boolean>((resolve) => {
      controller.signal.addEventListener('abort', () => {
        resolve(false);
      });
    });
    try {
      const ok = await Promise.race([this.options.probe(controller.signal), aborted]);
      return ok && !controller.signal.aborted;
    } finally {
      clearTimeout(timeout);
      this.inFlight = null;
    }
  }

  private running(): boolean {
    return !this.stopped;
  }

  private checkTransition(): void {
    const stale = this.stale();
    if (stale === this.wasStale) return;
    this.wasStale = stale;
    this.options.onStaleChange?.(stale, this.stalenessMs());
  }

  private now(): number {
    return (this.options.now ?? (() => performance.now()))();
  }
}
