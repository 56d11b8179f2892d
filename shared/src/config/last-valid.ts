import type { Result } from '../types/result.js';
import { isObject } from './fields.js';

/** A valid version of an object's spec: the parsed config, the raw spec it came from, its generation. */
export interface ValidVersion<T> {
  readonly config: T;
  /** The spec as stored (what a status writer persists so a restarted process can re-parse it). */
  readonly spec: unknown;
  /** metadata.generation of the object when this spec was current (undefined when unknown). */
  readonly generation: number | undefined;
}

/** What a consumer makes of one configuration object. */
export interface ConfigEntry<T> {
  /** metadata.uid (metadata.name when the object has no uid). */
  readonly uid: string;
  readonly name: string;
  /** The version in use: the current spec when valid, else the last valid one (if any). */
  readonly inUse: ValidVersion<T> | undefined;
  /** Same as `inUse?.config`. */
  readonly config: T | undefined;
  /** Parse errors of the current spec; empty when valid. */
  readonly errors: readonly string[];
  /** Where `inUse` came from: the current spec, this process's memory, or the persisted copy. */
  readonly source: 'spec' | 'memory' | 'persisted' | 'none';
}

/** A valid spec persisted by an earlier process (e.g. in the object's status). */
export interface PersistedSpec {
  readonly spec: unknown;
  readonly generation: number | undefined;
}

export interface LastValidCacheOptions<T> {
  /** Parses a whole object (metadata + spec), e.g. parseIPPool. */
  readonly parse: (obj: unknown) => Result<T, string[]>;
  /** The persisted last valid spec of an object, if any (e.g. persistedPoolSpec). */
  readonly persisted?: (obj: unknown) => PersistedSpec | undefined;
}

interface Meta {
  uid: string;
  name: string;
  generation: number | undefined;
}

function metaOf(obj: unknown): Meta {
  const meta = isObject(obj) && isObject(obj.metadata) ? obj.metadata : {};
  const name = typeof meta.name === 'string' ? meta.name : '';
  const uid = typeof meta.uid === 'string' && meta.uid !== '' ? meta.uid : name;
  const generation = typeof meta.generation === 'number' ? meta.generation : undefined;
  return { uid, name, generation };
}

/**
 * The one "last valid configuration" pipeline for IPPools and L2Announcements, shared by the
 * controller and the speaker. Pure (no I/O). For each object, in this order:
 *  1. the current spec, when it parses;
 *  2. else the last valid version this cache saw for the same uid;
 *  3. else the persisted copy (`persisted`, re-parsed with the current metadata), when it parses;
 *  4. else none: the object is not used.
 * Invariants: an invalid spec never replaces a valid version of the same object; versions are keyed
 * by uid, so a deleted and re-created object starts afresh (its status, too, is new); objects that
 * are gone are forgotten at the next `update`.
 */
export class LastValidCache<T> {
  readonly #o: LastValidCacheOptions<T>;
  readonly #lastValid = new Map<string, ValidVersion<T>>();

  constructor(options: LastValidCacheOptions<T>) {
    this.#o = options;
  }

  /** Entries for the current objects, in their order. */
  update(objects: readonly unknown[]): ConfigEntry<T>[] {
    const live = new Set<string>();
    const entries = objects.map((obj) => {
      const meta = metaOf(obj);
      live.add(meta.uid);
      return this.#entry(obj, meta);
    });
    for (const uid of [...this.#lastValid.keys()]) if (!live.has(uid)) this.#lastValid.delete(uid);
    return entries;
  }

  #entry(obj: unknown, meta: Meta): ConfigEntry<T> {
    const { uid, name } = meta;
    const parsed = this.#o.parse(obj);
    if (parsed.ok) {
      const spec = isObject(obj) ? obj.spec : undefined;
      const inUse = { config: parsed.value, spec, generation: meta.generation };
      this.#lastValid.set(uid, inUse);
      return { uid, name, inUse, config: inUse.config, errors: [], source: 'spec' };
    }
    const errors = parsed.error;
    const remembered = this.#lastValid.get(uid);
    if (remembered !== undefined)
      return { uid, name, inUse: remembered, config: remembered.config, errors, source: 'memory' };
    const restored = this.#restore(obj);
    if (restored === undefined)
      return { uid, name, inUse: undefined, config: undefined, errors, source: 'none' };
    this.#lastValid.set(uid, restored);
    return { uid, name, inUse: restored, config: restored.config, errors, source: 'persisted' };
  }

  #restore(obj: unknown): ValidVersion<T> | undefined {
    const persisted = this.#o.persisted?.(obj);
    if (persisted === undefined || !isObject(obj)) return undefined;
    const parsed = this.#o.parse({ ...obj, spec: persisted.spec });
    return parsed.ok
      ? { config: parsed.value, spec: persisted.spec, generation: persisted.generation }
      : undefined;
  }
}

/** The configs in use (objects without a valid version are left out). */
export function configsInUse<T>(entries: readonly ConfigEntry<T>[]): T[] {
  return entries.flatMap((e) => (e.config === undefined ? [] : [e.config]));
}
