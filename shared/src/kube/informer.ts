import {
  type Informer as LibraryInformer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  makeInformer,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { normalizeObject } from './normalize.js';
import { objectKey } from './object-key.js';

export type InformerEvent = 'add' | 'update' | 'delete';

export interface InformerOptions<T extends KubernetesObject> {
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
  /** Extra handler, called after the store is updated. */
  readonly onEvent?: (event: InformerEvent, obj: T) => void;
  readonly logger?: Pick<Logger, 'warn' | 'debug'>;
  /** Restart backoff (default 1 s doubling to 30 s, 20 % jitter). */
  readonly backoff?: BackoffOptions;
  /** Seam for tests; defaults to the library's makeInformer. */
  readonly makeInformer?: typeof makeInformer;
}

const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 30_000, jitter: 0.2 };

/**
 * A list+watch cache that keeps running: the library's informer stops for good on any error
 * other than 410/timeout, so this one restarts it with exponential backoff + jitter.
 * Invariants: the store holds objects in the normalized (typed) representation keyed by
 * `objectKey`; `hasSynced()` turns true once the store holds a complete LIST and stays true;
 * after `stop()` nothing restarts and the AbortError the library emits is ignored.
 */
export class Informer<T extends KubernetesObject> {
  readonly #options: InformerOptions<T>;
  readonly #store = new Map<string, T>();
  #inner: LibraryInformer<T> | undefined;
  #synced = false;
  #stopped = true;
  #attempt = 0;
  #restartTimer: NodeJS.Timeout | undefined;

  constructor(options: InformerOptions<T>) {
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
    clearTimeout(this.#restartTimer);
    await this.#inner?.stop();
  }

  hasSynced(): boolean {
    return this.#synced;
  }

  get(key: string): T | undefined {
    return this.#store.get(key);
  }

  list(): T[] {
    return [...this.#store.values()];
  }

  keys(): string[] {
    return [...this.#store.keys()];
  }

  async #run(): Promise<void> {
    try {
      await this.#inner?.start();
    } catch (error) {
      this.#onError(error);
    }
  }

  /** LIST wrapper: replaces the store (client-go Replace) so deletions missed while down show up. */
  async #list(): Promise<KubernetesListObject<T>> {
    const result = await this.#options.list();
    const fresh = new Map<string, T>();
    for (const item of result.items) {
      const obj = normalizeObject(item, this.#options.typeName);
      fresh.set(objectKey(obj), obj);
    }
    const gone = [...this.#store.keys()].filter((k) => !fresh.has(k));
    this.#store.clear();
    for (const [k, v] of fresh) this.#store.set(k, v);
    this.#synced = true;
    this.#attempt = 0;
    for (const k of [...gone, ...fresh.keys()]) this.#options.queue?.add(k);
    return result;
  }

  #upsert(event: InformerEvent, raw: T): void {
    const obj = normalizeObject(raw, this.#options.typeName);
    const key = objectKey(obj);
    this.#store.set(key, obj);
    this.#attempt = 0;
    this.#options.queue?.add(key);
    this.#options.onEvent?.(event, obj);
  }

  #remove(raw: T): void {
    const obj = normalizeObject(raw, this.#options.typeName);
    const key = objectKey(obj);
    this.#store.delete(key);
    this.#options.queue?.add(key);
    this.#options.onEvent?.('delete', obj);
  }

  #onError(error: unknown): void {
    // After stop() the library reports the aborted watch as an AbortError: not a failure.
    if (this.#stopped) return;
    const delay = backoffDelay(this.#options.backoff ?? DEFAULT_BACKOFF, this.#attempt);
    this.#attempt += 1;
    this.#options.logger?.warn(
      { path: this.#options.path, err: error, retryInMs: Math.round(delay) },
      'informer failed; restarting',
    );
    clearTimeout(this.#restartTimer);
    this.#restartTimer = setTimeout(() => void this.#run(), delay);
  }
}
