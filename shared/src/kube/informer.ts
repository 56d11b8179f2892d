import {
  type Informer as LibraryInformer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  makeInformer,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { apiStatusCode } from './api-error.js';
import type { RecoveryNotifier } from './api-recovery.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { normalizeObject } from './normalize.js';
import { objectKey } from './object-key.js';
import { sharedRecovery } from './readyz-probe.js';

export type InformerEvent = 'add' | 'update' | 'delete';

export interface InformerOptions<T extends KubernetesObject, U = T> {
  readonly kubeConfig: KubeConfig;
  /** Watch path, e.g. '/api/v1/services' or '/apis/ironlb.io/v1alpha1/ippools'. */
  readonly path: string;
  /** The matching LIST call, e.g. `() => core.listServiceForAllNamespaces()`. */
  readonly list: () => Promise<KubernetesListObject<T>>;
  /** ObjectSerializer model name ('V1Service', 'V1Node', ...); omit for custom resources. */
  readonly typeName?: string;
  readonly labelSelector?: string;
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
   * of this kubeConfig (GET /readyz), shared by every informer built on it.
   */
  readonly recovery?: RecoveryNotifier;
  /** Seam for tests; defaults to the library's makeInformer. */
  readonly makeInformer?: typeof makeInformer;
}

const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 10_000, jitter: 0.2 };

/**
 * A list+watch cache that keeps running: the library's informer stops for good on any error
 * other than 410/timeout, so this one restarts it with exponential backoff + jitter, cut short when
 * the recovery notifier sees the API server reachable again (so a restart of the API server costs
 * at most one probe interval, not the remaining backoff).
 * Invariants: the store holds, keyed by `objectKey` of the object, the object in the normalized
 * (typed) representation, or `transform` of it when given (applied once per arrival, never twice); `hasSynced()` turns true once the store holds a complete LIST and stays true;
 * at most one restart is pending; a restart never comes sooner than `backoff.baseMs` after the
 * failure; the backoff starts over once a LIST succeeds, an event arrives or a watch stays up for
 * `backoff.baseMs`; after `stop()` nothing restarts
 * and the AbortError the library emits is ignored.
 */
export class Informer<T extends KubernetesObject, U = T> {
  readonly #options: InformerOptions<T, U>;
  readonly #store = new Map<string, U>();
  #inner: LibraryInformer<T> | undefined;
  #synced = false;
  #stopped = true;
  #attempt = 0;
  /** Errors reported so far: a start() during which none arrived established its watch. */
  #errors = 0;
  /** When the running watch was established (undefined while failed). */
  #connectedAt: number | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #cancelRecovery: (() => void) | undefined;

  constructor(options: InformerOptions<T, U>) {
    this.#options = options;
  }

  /** Start list+watch; resolves after the first attempt (synced or not). Abort → stop(). */
  async start(signal?: AbortSignal): Promise<void> {
    if (!this.#stopped) return;
    this.#stopped = false;
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    const o = this.#options;
    const make = o.makeInformer ?? makeInformer;
    const inner = make<T>(o.kubeConfig, o.path, () => this.#list(), o.labelSelector);
    inner.on('add', (obj) => {
      this.#upsert('add', obj);
    });
    inner.on('update', (obj) => {
      this.#upsert('update', obj);
    });
    inner.on('delete', (obj) => {
      this.#remove(obj);
    });
    inner.on('error', (error: unknown) => {
      this.#onError(error);
    });
    this.#inner = inner;
    await this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancelPendingRestart();
    await this.#inner?.stop();
  }

  hasSynced(): boolean {
    return this.#synced;
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

  async #run(): Promise<void> {
    const errorsBefore = this.#errors;
    try {
      await this.#inner?.start();
    } catch (error) {
      this.#onError(error);
      return;
    }
    // stop() while start() was establishing the watch could not abort it (the library only
    // learns of the request when start() returns): abort it now, or the socket stays open.
    if (this.#stopped) {
      await this.#inner?.stop();
      return;
    }
    // start() resolves once the watch answered; an error during it was reported (and counted) first.
    if (this.#errors === errorsBefore) this.#connectedAt = Date.now();
  }

  /** LIST wrapper: replaces the store (client-go Replace) so deletions missed while down show up. */
  async #list(): Promise<KubernetesListObject<T>> {
    const result = await this.#options.list();
    const fresh = new Map<string, U>();
    for (const item of result.items) {
      const obj = normalizeObject(item, this.#options.typeName);
      fresh.set(objectKey(obj), this.#view(obj));
    }
    const gone = [...this.#store.keys()].filter((k) => !fresh.has(k));
    this.#store.clear();
    for (const [k, v] of fresh) this.#store.set(k, v);
    this.#synced = true;
    this.#attempt = 0;
    for (const k of [...gone, ...fresh.keys()]) this.#options.queue?.add(k);
    return result;
  }

  /** What the store keeps for `obj`: the transform's view, or the object itself. */
  #view(obj: T): U {
    const transform = this.#options.transform;
    return transform === undefined ? (obj as unknown as U) : transform(obj);
  }

  #upsert(event: InformerEvent, raw: T): void {
    const obj = normalizeObject(raw, this.#options.typeName);
    const key = objectKey(obj);
    const view = this.#view(obj);
    this.#store.set(key, view);
    this.#attempt = 0;
    this.#options.queue?.add(key);
    this.#options.onEvent?.(event, view);
  }

  #remove(raw: T): void {
    const obj = normalizeObject(raw, this.#options.typeName);
    const key = objectKey(obj);
    this.#store.delete(key);
    this.#options.queue?.add(key);
    this.#options.onEvent?.('delete', this.#view(obj));
  }

  #onError(error: unknown): void {
    // After stop() the library reports the aborted watch as an AbortError: not a failure.
    if (this.#stopped) return;
    this.#errors += 1;
    const o = this.#options;
    const backoff = o.backoff ?? DEFAULT_BACKOFF;
    // A watch that stayed up for the base delay was a success: the backoff starts over. One that
    // drops sooner counts as another failed attempt, so a flapping connection keeps backing off.
    if (this.#connectedAt !== undefined && Date.now() - this.#connectedAt >= backoff.baseMs)
      this.#attempt = 0;
    this.#connectedAt = undefined;
    const delay = backoffDelay(backoff, this.#attempt);
    this.#attempt += 1;
    o.logger?.warn({ path: o.path, err: error, retryInMs: Math.round(delay) }, 'informer failed; restarting');
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
