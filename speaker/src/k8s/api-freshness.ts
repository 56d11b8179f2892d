/**
 * How fresh this speaker's view of the API server is: a cheap probe (GET /readyz) every `intervalMs`, each
 * bounded by `timeoutMs`; stalenessMs = now − last success.
 *
 * With a `view`, fresh means "the view has caught up", not only "the API server answers": on turning stale the
 * view is frozen (its watches stop, so it holds one point in time even when a half-open connection would keep
 * delivering part of the events); once a probe succeeds again, `view.catchUp()` relists, and only when it
 * resolves true does the view count as confirmed, as of the moment that catch-up began. Until then the
 * staleness keeps growing from the last success before the outage, so peers keep ranking this view below
 * theirs while it still holds what it knew before.
 *
 * Invariants:
 *  - stalenessMs() never decreases except on a successful probe (with a frozen view: a completed catch-up),
 *    and counts from start() until the first one (a view that was never confirmed is as old as our attempt to
 *    confirm it).
 *  - The view is frozen before onStaleChange(true) runs, at most once per outage; at most one catch-up runs.
 *  - At most one probe is in flight; a probe that outlives its timeout is aborted and counts as a failure.
 *  - onStaleChange fires once per transition of `stalenessMs() > staleAfterMs`, checked after every probe.
 *  - freshSinceMs() is the start of the current fresh spell as confirmed (first success after start, the
 *    catch-up after a stale spell, or a success after a gap longer than staleAfterMs even if no probe saw the
 *    view stale in between); null while stale or never confirmed. It never moves back while fresh, so the
 *    settle rule (docs/election.md) counts one unbroken spell.
 */
export interface ApiFreshnessOptions {
  /** Resolves true when the API server answered; aborted through the signal on timeout. Never rejects. */
  probe: (signal: AbortSignal) => Promise<boolean>;
  intervalMs: number;
  timeoutMs: number;
  staleAfterMs: number;
  onStaleChange?: (stale: boolean, stalenessMs: number) => void;
  /** The view this freshness vouches for (see the class comment); without one, fresh = the probe answers. */
  view?: FreshnessView | undefined;
  /** Monotonic clock (ms); default performance.now. */
  now?: () => number;
}

/** What ApiFreshness needs of the view it vouches for (ClusterView). */
export interface FreshnessView {
  /** Stop taking events; the view holds what it has. */
  freeze(): void;
  /** Relist; true once the whole view is as recent as LISTs issued after this call began. Never rejects. */
  catchUp(): Promise<boolean>;
}

export class ApiFreshness {
  private lastOkMs: number | null = null;
  private startedMs: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: AbortController | null = null;
  private wasStale = false;
  private stopped = false;
  /** The view was frozen on turning stale and has not caught up since. */
  private frozen = false;
  private catchingUp = false;
  /** Start of the current confirmed fresh spell (see freshSinceMs). */
  private freshSince: number | null = null;

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

  /** Since when the view has been confirmed and fresh without a break; null while stale or never confirmed. */
  freshSinceMs(): number | null {
    return this.stale() ? null : this.freshSince;
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const started = this.now();
    const ok = await this.probeOnce();
    if (!this.running()) return;
    if (ok) this.confirmed(started);
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

  /** A probe sent at `atMs` succeeded: the view is confirmed as of then, or (frozen) starts catching up. */
  private confirmed(atMs: number): void {
    const view = this.options.view;
    if (!this.frozen || view === undefined) {
      const gap = this.lastOkMs === null ? Number.POSITIVE_INFINITY : atMs - this.lastOkMs;
      if (this.freshSince === null || gap > this.options.staleAfterMs) this.freshSince = atMs;
      this.lastOkMs = atMs;
      return;
    }
    if (this.catchingUp) return;
    this.catchingUp = true;
    const begun = this.now();
    void view.catchUp().then((done) => {
      this.catchingUp = false;
      if (!done || !this.running()) return;
      this.frozen = false;
      this.lastOkMs = begun;
      this.freshSince = begun;
      this.checkTransition();
    });
  }

  private running(): boolean {
    return !this.stopped;
  }

  private checkTransition(): void {
    const stale = this.stale();
    if (stale === this.wasStale) return;
    this.wasStale = stale;
    if (stale) this.freshSince = null;
    if (stale && !this.frozen && this.options.view !== undefined) {
      this.frozen = true;
      this.options.view.freeze();
    }
    this.options.onStaleChange?.(stale, this.stalenessMs());
  }

  private now(): number {
    return (this.options.now ?? (() => performance.now()))();
  }
}
