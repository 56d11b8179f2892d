import { backoffDelay } from './backoff.js';

/** What the handler wants done with the key it just processed. */
export type ProcessOutcome = 'done' | 'retry';

export interface WorkQueueOptions {
  /** Reconciles one key. 'done' forgets its failure count; 'retry' requeues it rate-limited. */
  readonly process: (key: string) => Promise<ProcessOutcome>;
  /** Workers running in parallel (default 1). */
  readonly concurrency?: number;
  /** Per-key backoff: first retry delay (default 100 ms) and cap (default 30 s). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** A throwing `process` is a bug: reported here, then the key is retried rate-limited. */
  readonly onError?: (key: string, error: unknown) => void;
}

/**
 * A keyed, de-duplicating work queue with client-go semantics.
 * Invariants:
 *  - a key is in `queue` at most once (`dirty` mirrors the queued-or-requeue-pending set);
 *  - a key is never processed by two workers at once: a key added while processing is marked
 *    dirty and queued again only when its processing finishes;
 *  - delayed adds keep only the earliest deadline per key;
 *  - after `stop()` no new key is accepted; queued and in-flight keys are drained.
 */
export class WorkQueue {
  readonly #options: WorkQueueOptions;
  readonly #queue: string[] = [];
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  readonly #failures = new Map<string, number>();
  #started = false;
  #shuttingDown = false;
  #drained: (() => void) | undefined;
  #stopped: Promise<void> | undefined;

  constructor(options: WorkQueueOptions) {
    this.#options = options;
  }

  /** Begin processing (keys added earlier wait until now). Aborting `signal` stops the queue. */
  start(signal?: AbortSignal): void {
    this.#started = true;
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    this.#pump();
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    this.#queue.push(key);
    this.#pump();
  }

  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const existing = this.#delayed.get(key);
    if (existing !== undefined && existing.at <= at) return;
    if (existing !== undefined) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.#delayed.set(key, { at, timer });
  }

  /** Requeue after the key's own exponential backoff; each call counts as one more failure. */
  addRateLimited(key: string): void {
    const n = this.#failures.get(key) ?? 0;
    this.#failures.set(key, n + 1);
    const delay = backoffDelay(
      { baseMs: this.#options.baseDelayMs ?? 100, maxMs: this.#options.maxDelayMs ?? 30_000 },
      n,
    );
    this.addAfter(key, delay);
  }

  /** Reset the key's failure count (its next rate-limited delay is the base delay again). */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Keys waiting to be processed (not counting delayed or in-flight ones). */
  len(): number {
    return this.#queue.length;
  }

  /** Stop accepting keys, cancel delayed adds, resolve once queued and in-flight keys finish. */
  stop(): Promise<void> {
    if (this.#stopped !== undefined) return this.#stopped;
    this.#shuttingDown = true;
    for (const { timer } of this.#delayed.values()) clearTimeout(timer);
    this.#delayed.clear();
    this.#started = true;
    this.#stopped = new Promise<void>((resolve) => {
      this.#drained = resolve;
    });
    this.#pump();
    return this.#stopped;
  }

  #pump(): void {
    if (!this.#started) return;
    const concurrency = this.#options.concurrency ?? 1;
    while (this.#processing.size < concurrency && this.#queue.length > 0) {
      const key = this.#queue.shift() as string;
      this.#dirty.delete(key);
      this.#processing.add(key);
      void this.#run(key);
    }
    if (this.#shuttingDown && this.#processing.size === 0 && this.#queue.length === 0) {
      this.#drained?.();
    }
  }

  async #run(key: string): Promise<void> {
    let outcome: ProcessOutcome;
    try {
      outcome = await this.#options.process(key);
    } catch (error) {
      this.#options.onError?.(key, error);
      outcome = 'retry';
    }
    this.#processing.delete(key);
    if (outcome === 'done') this.forget(key);
    else this.addRateLimited(key);
    if (this.#dirty.has(key)) this.#queue.push(key);
    this.#pump();
  }
}
