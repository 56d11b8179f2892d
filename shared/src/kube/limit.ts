/** Runs `task` once fewer than `n` tasks of this limiter are in flight. */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

/**
 * A concurrency limiter (p-limit style) for bursts of API calls.
 * Invariants: at most `n` tasks run at once; queued tasks start in FIFO order; a rejected task
 * frees its slot like a resolved one and its rejection reaches only its own caller.
 */
export function limit(n: number): Limiter {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`limit(n) needs an integer n >= 1, got ${n}`);
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = (): void => {
    active -= 1;
    const next = waiting.shift();
    if (next !== undefined) {
      active += 1;
      next();
    }
  };
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active < n) {
      active += 1;
    } else {
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    try {
      return await task();
    } finally {
      release();
    }
  };
}
