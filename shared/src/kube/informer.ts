import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { apiStatusCode } from './api-error.js';
import type { RecoveryNotifier } from './api-recovery.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import type { KubeConnection } from './kube-connection.js';
import { objectKey } from './object-key.js';
import { sharedRecovery } from './readyz-probe.js';
import { WatchDecodeError, type WatchEvent } from './watch-decoder.js';
import { readWatch, type WatchEnd } from './watch-stream.js';

export type InformerEvent = 'add' | 'update' | 'delete';

export interface InformerOptions<T extends KubernetesObject, U = T> {
  /** The connection that opens the watches (and probes /readyz for the default `recovery`). */
  readonly kubeConfig: Pick<KubeConnection, 'watch' | 'send'>;
  /** Watch path, e.g. '/api/v1/services' or '/apis/ironlb.io/v1alpha1/ippools'. */
  readonly path: string;
  /** The matching LIST call, e.g. `() => core.listServiceForAllNamespaces()`. */
  readonly list: () => Promise<KubernetesListObject<T>>;
  /** Kind shown in logs ('V1Service', ...). Objects are plain JSON whatever it says. */
  readonly typeName?: string;
  readonly labelSelector?: string;
  /** Watch field selector, e.g. `metadata.name=x`; the `list` call must use the same one. */
  readonly fieldSelector?: string;
  /** Receives the key of every added/updated/deleted object (typically a WorkQueue). */
  readonly queue?: { add(key: string): void };
  /**
   * Turns each arriving object into what the cache keeps (e.g. a slim view), once, before it is
   * stored; keys still come from the object's metadata. Default: the object itself.
   */
  readonly transform?: (obj: T) => U;
  /** Extra handler, called after the store is updated; receives the stored (transformed) value. */
  readonly onEvent?: (event: InformerEvent, obj: U) => void;
  readonly logger?: Pick<Logger, 'warn' | 'debug'>;
  /** Restart backoff (default 1 s doubling to 10 s, 20 % jitter). */
  readonly backoff?: BackoffOptions;
  /**
   * Cuts a backoff short once the API server is reachable again. Default: the one readiness prober
   * of this connection (GET /readyz), shared by every informer built on it.
   */
  readonly recovery?: RecoveryNotifier;
  /** A watch that delivers no byte for this long is re-opened from the last resourceVersion (default 30 s). */
  readonly watchIdleMs?: number;
}

const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 10_000, jitter: 0.2 };

/**
 * A list+watch cache that keeps running. LIST, then watch from the list's resourceVersion with
 * bookmarks; a watch the server ends (or that stays silent for `watchIdleMs`) is re-opened from the last
 * resourceVersion seen; 410 Gone (status or ERROR event) means LIST again; any other failure restarts with
 * exponential backoff + jitter, cut short when the recovery notifier sees the API server reachable again
 * (so a restart of the API server costs at most one probe interval, not the remaining backoff).
 * Invariants: the store holds, keyed by `objectKey` of the object, the object as JSON, or `transform` of
 * it when given (applied once per arrival, never twice); `hasSynced()` turns true once the store holds a
 * complete LIST and stays true; `lists()` counts completed LISTs and never decreases; at most one restart is pending; a restart never comes sooner than
 * `backoff.baseMs` after the failure; the backoff starts over once a LIST succeeds, an event arrives or a
 * watch stays up for `backoff.baseMs`; after `stop()` nothing restarts and no error is reported.
 */
export class Informer<T extends KubernetesObject, U = T> {
  readonly #options: InformerOptions<T, U>;
  readonly #store = new Map<string, U>();
  #synced = false;
  /** LISTs that completed and replaced the store (see `lists()`). */
  #lists = 0;
  #stopped = true;
  /** LIST before the next watch: at every start(), after 410 Gone and after a corrupt stream. */
  #needList = true;
  #resourceVersion = '';
  #attempt = 0;
  /** When the running watch was established (undefined while failed). */
  #connectedAt: number | undefined;
  #session: AbortController | undefined;
  #running: Promise<void> | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #cancelRecovery: (() => void) | undefined;

  constructor(options: InformerOptions<T, U>) {
    this.#options = options;
  }

  /**
   * Start list+watch; resolves after the first attempt (watching, or failed and backing off). Abort → stop().
   * Every start() begins with a LIST (also after a stop()); restarts after failures resume the watch.
   */
  async start(signal?: AbortSignal): Promise<void> {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#needList = true;
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    await this.#run();
  }

  /** Ends the running watch (its socket is closed when this resolves); nothing restarts after. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancelPendingRestart();
    this.#session?.abort();
    await this.#running;
  }

  hasSynced(): boolean {
    return this.#synced;
  }

  /**
   * How many LISTs have completed and replaced the store since construction. A caller that saw n and later
   * sees more knows the store has been replaced by a LIST issued after it looked (e.g. after a stop()/start()).
   */
  lists(): number {
    return this.#lists;
  }

  get(key: string): U | undefined {
    return this.#store.get(key);
  }

  list(): U[] {
    return [...this.#store.values()];
  }

  keys(): string[] {
    return [...this.#store.keys()];
  }

  /** One session: LIST when needed, then watches until one fails. Resolves once the first watch is open or failed. */
  #run(): Promise<void> {
    const session = new AbortController();
    this.#session = session;
    return new Promise<void>((established) => {
      this.#running = this.#loop(session.signal, established);
    });
  }

  async #loop(signal: AbortSignal, established: () => void): Promise<void> {
    const o = this.#options;
    try {
      for (;;) {
        const listed = this.#needList;
        if (listed) await this.#list();
        if (signal.aborted) return;
        const openedAt = Date.now();
        const { end, events } = await readWatch({
          source: o.kubeConfig,
          path: o.path,
          query: {
            resourceVersion: this.#resourceVersion === '' ? undefined : this.#resourceVersion,
            allowWatchBookmarks: true,
            labelSelector: o.labelSelector,
            fieldSelector: o.fieldSelector,
          },
          signal,
          idleMs: o.watchIdleMs ?? 30_000,
          onOpen: () => {
            this.#connectedAt = Date.now();
            established();
          },
          onEvent: (event) => {
            this.#apply(event);
          },
        });
        this.#afterWatch({ end, events, listed, openedAt });
      }
    } catch (error) {
      // Events may have been lost in a corrupt stream: the next attempt starts with a LIST.
      if (error instanceof WatchDecodeError) this.#needList = true;
      if (!signal.aborted && !this.#stopped) this.#onError(error);
    } finally {
      established();
    }
  }

  /** What a watch's end means: LIST next (410), or a failure when it would otherwise repeat without a pause. */
  #afterWatch(w: { end: WatchEnd; events: number; listed: boolean; openedAt: number }): void {
    const path = this.#options.path;
    if (w.end === 'gone') {
      this.#needList = true;
      // 410 at once after a fresh LIST would LIST again and again without a pause: a failure instead.
      if (w.listed && w.events === 0) throw new Error(`watch ${path}: 410 Gone right after a LIST`);
      return;
    }
    // A watch the server closes at once, again and again, must not spin: it counts as a failure.
    const baseMs = (this.#options.backoff ?? DEFAULT_BACKOFF).baseMs;
    if (w.end === 'ended' && w.events === 0 && Date.now() - w.openedAt < baseMs)
      throw new Error(`watch ${path} closed by the server at once`);
  }

  #apply(event: WatchEvent): void {
    const rv = event.object.metadata?.resourceVersion;
    if (rv !== undefined && rv !== '') this.#resourceVersion = rv;
    this.#attempt = 0;
    if (event.type === 'BOOKMARK') return;
    const obj = event.object as unknown as T;
    if (event.type === 'DELETED') this.#remove(obj);
    else this.#upsert(event.type === 'ADDED' ? 'add' : 'update', obj);
  }

  /**
   * LIST replaces the store (client-go Replace), so deletions missed while down show up: every listed and
   * every vanished key is queued; onEvent sees 'add' for new keys, 'update' for kept ones, 'delete' for gone.
   */
  async #list(): Promise<void> {
    const result = await this.#options.list();
    const fresh = new Map<string, U>();
    for (const item of result.items) fresh.set(objectKey(item), this.#view(item));
    const old = new Map(this.#store);
    this.#store.clear();
    for (const [k, v] of fresh) this.#store.set(k, v);
    this.#resourceVersion = result.metadata?.resourceVersion ?? '';
    this.#needList = false;
    this.#synced = true;
    this.#lists += 1;
    this.#attempt = 0;
    const { queue, onEvent } = this.#options;
    for (const [k, v] of old) {
      if (fresh.has(k)) continue;
      queue?.add(k);
      onEvent?.('delete', v);
    }
    for (const [k, v] of fresh) {
      queue?.add(k);
      onEvent?.(old.has(k) ? 'update' : 'add', v);
    }
  }

  /** What the store keeps for `obj`: the transform's view, or the object itself. */
  #view(obj: T): U {
    const transform = this.#options.transform;
    return transform === undefined ? (obj as unknown as U) : transform(obj);
  }

  #upsert(event: InformerEvent, obj: T): void {
    const key = objectKey(obj);
    const view = this.#view(obj);
    this.#store.set(key, view);
    this.#options.queue?.add(key);
    this.#options.onEvent?.(event, view);
  }

  #remove(obj: T): void {
    const key = objectKey(obj);
    this.#store.delete(key);
    this.#options.queue?.add(key);
    this.#options.onEvent?.('delete', this.#view(obj));
  }

  #onError(error: unknown): void {
    const o = this.#options;
    const backoff = o.backoff ?? DEFAULT_BACKOFF;
    // A watch that stayed up for the base delay was a success: the backoff starts over. One that
    // drops sooner counts as another failed attempt, so a flapping connection keeps backing off.
    if (this.#connectedAt !== undefined && Date.now() - this.#connectedAt >= backoff.baseMs)
      this.#attempt = 0;
    this.#connectedAt = undefined;
    const delay = backoffDelay(backoff, this.#attempt);
    this.#attempt += 1;
    o.logger?.warn(
      { path: o.path, kind: o.typeName, err: error, retryInMs: Math.round(delay) },
      'informer failed; restarting',
    );
    this.#cancelPendingRestart();
    const failedAt = Date.now();
    this.#restartTimer = setTimeout(() => {
      this.#restart();
    }, delay);
    const recovery = o.recovery ?? sharedRecovery(o.kubeConfig);
    this.#cancelRecovery = recovery.whenRecovered({
      // No HTTP status: the request never reached the API server (refused, reset, timed out).
      unreachable: apiStatusCode(error) === undefined,
      onRecovered: () => {
        this.#cancelRecovery = undefined;
        const wait = Math.max(0, failedAt + backoff.baseMs - Date.now());
        o.logger?.debug({ path: o.path, restartInMs: Math.round(wait) }, 'API server reachable again');
        if (wait === 0) {
          this.#restart();
          return;
        }
        clearTimeout(this.#restartTimer);
        this.#restartTimer = setTimeout(() => {
          this.#restart();
        }, wait);
      },
    });
  }

  #restart(): void {
    this.#cancelPendingRestart();
    if (!this.#stopped) void this.#run();
  }

  #cancelPendingRestart(): void {
    clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    this.#cancelRecovery?.();
    this.#cancelRecovery = undefined;
  }
}
