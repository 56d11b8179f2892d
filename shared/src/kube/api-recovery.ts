import { sleep, withDeadline } from './sleep.js';

/** Tells a backing-off informer that the API server is reachable again. */
export interface RecoveryNotifier {
  /**
   * Calls `onRecovered` once, at the first successful probe that follows a failed one (or any
   * successful probe when `unreachable`: the caller already saw the server unreachable). Returns a
   * cancel function; after it (or after the call) the waiter is forgotten.
   */
  whenRecovered(w: { unreachable: boolean; onRecovered: () => void }): () => void;
}

export interface ApiRecoveryOptions {
  /** One cheap request (GET /readyz); true when the API server answered ready. Never throws. */
  readonly probe: (signal: AbortSignal) => Promise<boolean>;
  /** Pause between probes while someone waits (default 400 ms). */
  readonly intervalMs?: number;
  /** A probe taking longer counts as failed (default 2 s). */
  readonly timeoutMs?: number;
}

interface Waiter {
  sawDown: boolean;
  readonly onRecovered: () => void;
}

/**
 * One readiness prober per process, shared by all its informers. Invariants: it probes only while
 * at least one waiter is registered, one probe at a time (N waiting informers cost one request per
 * interval, not N); a waiter fires at most once, and only after a probe that started after it
 * registered has succeeded.
 */
export class ApiRecovery implements RecoveryNotifier {
  readonly #o: ApiRecoveryOptions;
  readonly #waiters = new Set<Waiter>();
  #running = false;

  constructor(options: ApiRecoveryOptions) {
    this.#o = options;
  }

  whenRecovered(w: { unreachable: boolean; onRecovered: () => void }): () => void {
    const waiter: Waiter = { sawDown: w.unreachable, onRecovered: w.onRecovered };
    this.#waiters.add(waiter);
    if (!this.#running) void this.#loop();
    return () => {
      this.#waiters.delete(waiter);
    };
  }

  /** Waiters registered now (for tests and metrics). */
  waiting(): number {
    return this.#waiters.size;
  }

  async #loop(): Promise<void> {
    this.#running = true;
    try {
      while (this.#waiters.size > 0) {
        const before = [...this.#waiters];
        const ready = await this.#probeOnce();
        for (const w of before) {
          if (!this.#waiters.has(w)) continue;
          if (!ready) w.sawDown = true;
          else if (w.sawDown) {
            this.#waiters.delete(w);
            w.onRecovered();
          }
        }
        if (this.#waiters.size === 0) break;
        await sleep(this.#o.intervalMs ?? 400);
      }
    } finally {
      this.#running = false;
    }
  }

  /** One probe, bounded by the timeout even if the probe ignores its signal. */
  async #probeOnce(): Promise<boolean> {
    const controller = new AbortController();
    const timeoutMs = this.#o.timeoutMs ?? 2000;
    const timer = setTimeout(() => {
      controller.abort();
    }, timeoutMs);
    try {
      return await withDeadline(this.#o.probe(controller.signal), { ms: timeoutMs, fallback: false });
    } finally {
      clearTimeout(timer);
    }
  }
}
