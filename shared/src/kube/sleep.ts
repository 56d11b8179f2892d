/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `promise`'s value, or `fallback` if it has not settled after `ms` (or it rejects). */
export async function withDeadline<T>(promise: Promise<T>, options: { ms: number; fallback: T }): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(
      () => {
        resolve(options.fallback);
      },
      Math.max(0, options.ms),
    );
  });
  try {
    const settled = promise.catch(() => options.fallback);
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
