import { createHash } from 'node:crypto';
import type { V1ObjectReference } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { apiStatusCode, describeApiError } from './api-error.js';
import { mergePatchOptions, type PatchOptions } from './api-clients.js';
import { KeyedTokenBuckets } from './token-bucket.js';
import { type KubeEvent, microTime } from './wire.js';

/** The events.k8s.io/v1 calls the recorder makes (EventsV1Client satisfies it). */
export interface EventsApi {
  createNamespacedEvent(p: { namespace: string; body: KubeEvent }): Promise<KubeEvent>;
  patchNamespacedEvent(
    p: { name: string; namespace: string; body: object },
    options: PatchOptions,
  ): Promise<KubeEvent>;
}

export interface EventInput {
  /** kind, apiVersion, namespace, name AND uid: `kubectl describe` selects events by uid too. */
  readonly regarding: V1ObjectReference;
  readonly type: 'Normal' | 'Warning';
  /** UpperCamelCase, e.g. 'IPAllocated'. */
  readonly reason: string;
  /** Human-readable, ≤ 1 kB (truncated). */
  readonly note: string;
  /** What was done, e.g. 'Allocate'; defaults to `reason`. */
  readonly action?: string;
}

export interface EventRecorderOptions {
  readonly events: EventsApi;
  /** e.g. 'ironlb.io/controller'. */
  readonly reportingController: string;
  /** Pod or node name. */
  readonly reportingInstance: string;
  readonly logger?: Pick<Logger, 'warn' | 'debug'>;
  /** An identical event within this time of the last one updates its series (default 10 min). */
  readonly dedupWindowMs?: number;
  /** Per-object spam filter: burst of distinct events (default 25), refill one per (default 5 min). */
  readonly burst?: number;
  readonly refillMs?: number;
  /** Pending writes kept at most; more are dropped and counted (default 1000). */
  readonly maxQueue?: number;
  /** stop() waits at most this long for queued writes (default 5 s); what is left then is dropped and logged. */
  readonly flushDeadlineMs?: number;
  readonly now?: () => number;
}

/**
 * One deduplicated Event. Invariant (memory): `input` is held only while a write is queued or in flight, since a
 * series update needs only name, namespace and counts; a repeat brings it back (it is the same input by key), so
 * the re-create after a 404 has it.
 */
interface Entry {
  input: EventInput | undefined;
  readonly namespace: string;
  name: string | undefined;
  count: number;
  firstAt: number;
  lastObservedMs: number;
  queued: boolean;
}

const MAX_NOTE = 1024;

function objectKeyOf(ref: V1ObjectReference): string {
  return [ref.kind, ref.namespace ?? '', ref.name ?? '', ref.uid ?? ''].join('/');
}

/** The dedup key: a digest of (regarding, type, reason, action, note), so an entry does not keep the note's text. */
function dedupKey(input: EventInput): string {
  const text = [objectKeyOf(input.regarding), input.type, input.reason, input.action ?? '', input.note].join(
    '\u0000',
  );
  return createHash('sha256').update(text).digest('base64');
}

/**
 * Fire-and-forget Kubernetes Events (events.k8s.io/v1, also listed by core/v1 and
 * `kubectl describe`). Invariants:
 *  - `emit` never throws or awaits; writes happen in order on one background sender;
 *  - identical (regarding, type, reason, action, note) no further apart than the window become ONE Event whose
 *    `series.count` / `series.lastObservedTime` are updated; repeats that arrive while a write
 *    for it is still queued only bump the count (no extra queue entry);
 *  - each object may start at most `burst` new Events, refilled one per `refillMs`;
 *  - the queue never holds more than `maxQueue` entries; overflow is dropped and counted.
 */
export class EventRecorder {
  readonly #o: EventRecorderOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #queue: Entry[] = [];
  readonly #buckets: KeyedTokenBuckets;
  #started = false;
  #sending: Promise<void> | undefined;
  #dropped = 0;

  constructor(options: EventRecorderOptions) {
    this.#o = options;
    this.#buckets = new KeyedTokenBuckets({
      burst: options.burst ?? 25,
      refillMs: options.refillMs ?? 300_000,
      ...(options.now ? { now: options.now } : {}),
    });
  }

  /** Start sending (events emitted before are queued). Abort → stop(). */
  start(signal?: AbortSignal): void {
    this.#started = true;
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    this.#kick();
  }

  /**
   * Flush what is queued within `flushDeadlineMs`, then stop accepting. Invariant: stop() resolves by the
   * deadline even when the API server hangs (a shutdown must not wait for it); the writes not done by then, the
   * one in flight included, are counted as dropped and logged once.
   */
  async stop(): Promise<void> {
    this.#kick();
    const deadlineMs = this.#o.flushDeadlineMs ?? 5_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => {
        resolve('expired');
      }, deadlineMs);
    });
    try {
      // A finishing sender re-kicks itself when more arrived meanwhile: wait for the last one.
      while (this.#sending !== undefined) {
        const sending = this.#sending.then(() => 'flushed' as const);
        if ((await Promise.race([sending, expired])) === 'expired') {
          this.#abandonQueue(deadlineMs);
          break;
        }
      }
    } finally {
      clearTimeout(timer);
      this.#started = false;
    }
  }

  #abandonQueue(deadlineMs: number): void {
    const abandoned = this.#queue.length + 1;
    for (const entry of this.#queue) {
      entry.queued = false;
      entry.input = undefined;
    }
    this.#queue.length = 0;
    this.#dropped += abandoned;
    this.#o.logger?.warn(
      { abandoned, deadlineMs },
      'events not recorded: the API server did not take them before shutdown',
    );
  }

  /** Events dropped so far (queue full or rate-limited). */
  dropped(): number {
    return this.#dropped;
  }

  emit(input: EventInput): void {
    const now = this.#now();
    const key = dedupKey(input);
    const existing = this.#entries.get(key);
    if (existing !== undefined && now - existing.lastObservedMs <= (this.#o.dedupWindowMs ?? 600_000)) {
      existing.count += 1;
      existing.lastObservedMs = now;
      existing.input = input;
      this.#enqueue(existing);
      return;
    }
    if (!this.#buckets.take(objectKeyOf(input.regarding))) {
      this.#dropped += 1;
      return;
    }
    const entry: Entry = {
      input,
      namespace: input.regarding.namespace ?? 'default',
      name: undefined,
      count: 1,
      firstAt: now,
      lastObservedMs: now,
      queued: false,
    };
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#entries.size > 4096) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#enqueue(entry);
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }

  #enqueue(entry: Entry): void {
    if (entry.queued) return;
    if (this.#queue.length >= (this.#o.maxQueue ?? 1000)) {
      this.#dropped += 1;
      return;
    }
    entry.queued = true;
    this.#queue.push(entry);
    this.#kick();
  }

  #kick(): void {
    if (!this.#started || this.#sending !== undefined || this.#queue.length === 0) return;
    this.#sending = this.#drain().finally(() => {
      this.#sending = undefined;
      if (this.#queue.length > 0) this.#kick();
    });
  }

  async #drain(): Promise<void> {
    for (let entry = this.#queue.shift(); entry !== undefined; entry = this.#queue.shift()) {
      entry.queued = false;
      const input = entry.input;
      try {
        if (input === undefined) throw new Error('bug: an event was queued without its input');
        await this.#write(entry, input);
      } catch (error) {
        this.#o.logger?.warn(
          { reason: input?.reason, regarding: input?.regarding.name, err: describeApiError(error) },
          'cannot record event',
        );
      } finally {
        // Queued again meanwhile (a repeat): that write may need it.
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- emit() may set it during the await
        if (!entry.queued) entry.input = undefined;
      }
    }
  }

  async #write(entry: Entry, input: EventInput): Promise<void> {
    if (entry.name !== undefined) {
      try {
        await this.#o.events.patchNamespacedEvent(
          { name: entry.name, namespace: entry.namespace, body: { series: this.#series(entry) } },
          mergePatchOptions,
        );
        return;
      } catch (error) {
        if (apiStatusCode(error) !== 404) throw error;
        // The event expired (TTL) or was deleted: start a new one below.
      }
    }
    const created = await this.#o.events.createNamespacedEvent({
      namespace: entry.namespace,
      body: this.#newEvent(entry, input),
    });
    entry.name = created.metadata?.name;
  }

  #series(entry: Entry): NonNullable<KubeEvent['series']> {
    return { count: entry.count, lastObservedTime: microTime(entry.lastObservedMs) };
  }

  #newEvent(entry: Entry, input: EventInput): KubeEvent {
    const regarding = input.regarding;
    return {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: {
        name: `${regarding.name ?? 'object'}.${Date.now().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`,
        namespace: entry.namespace,
      },
      eventTime: microTime(entry.firstAt),
      ...(entry.count > 1 ? { series: this.#series(entry) } : {}),
      regarding,
      type: input.type,
      reason: input.reason,
      action: input.action ?? input.reason,
      note: input.note.length > MAX_NOTE ? `${input.note.slice(0, MAX_NOTE - 3)}...` : input.note,
      reportingController: this.#o.reportingController,
      reportingInstance: this.#o.reportingInstance,
    };
  }
}
