export interface BackoffOptions {
  /** Delay for attempt 0 (ms). */
  readonly baseMs: number;
  /** Upper bound of any delay, jitter included (ms). */
  readonly maxMs: number;
  /** Fraction of the delay added at random, 0..1 (default 0: deterministic). */
  readonly jitter?: number;
  /** Source of randomness in [0, 1) (tests pass a fixed one). */
  readonly random?: () => number;
}

/**
 * Exponential backoff: attempt n waits min(maxMs, baseMs * 2^n * (1 + jitter * r)).
 * Invariant: the result is always within [min(baseMs, maxMs), maxMs] and non-decreasing in n for a fixed r.
 */
export function backoffDelay(options: BackoffOptions, attempt: number): number {
  const jitter = options.jitter ?? 0;
  const r = jitter > 0 ? (options.random ?? Math.random)() : 0;
  const exp = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 52));
  return Math.min(options.maxMs, exp * (1 + jitter * r));
}
