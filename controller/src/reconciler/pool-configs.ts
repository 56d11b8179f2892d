import { type IPPoolConfig, parseIPPool } from '@ironlb/shared';
import type { PoolObject } from '../k8s/informers.js';

/** What the controller makes of one IPPool object. */
export interface PoolEntry {
  readonly name: string;
  /** The version in use: the current spec when valid, else the last valid one (if any). */
  readonly config: IPPoolConfig | undefined;
  /** Parse errors of the current spec; empty when valid. */
  readonly errors: readonly string[];
}

/**
 * Turns IPPool objects into allocator configs. Invariant: an invalid spec never removes a pool's
 * last valid configuration seen by this process (keyed by uid, so a deleted and re-created pool
 * starts afresh); the entry then carries both the errors and the config still in use.
 */
export class PoolConfigs {
  readonly #lastValid = new Map<string, IPPoolConfig>();
  #fingerprint = '';

  /** Entries for the current objects; `changed` says whether the config set differs from last time. */
  update(objects: readonly PoolObject[]): {
    entries: PoolEntry[];
    configs: IPPoolConfig[];
    changed: boolean;
  } {
    const entries: PoolEntry[] = [];
    const live = new Set<string>();
    for (const obj of objects) {
      const uid = obj.metadata.uid ?? obj.metadata.name ?? '';
      live.add(uid);
      const parsed = parseIPPool(obj);
      if (parsed.ok) this.#lastValid.set(uid, parsed.value);
      entries.push({
        name: obj.metadata.name ?? '',
        config: parsed.ok ? parsed.value : this.#lastValid.get(uid),
        errors: parsed.ok ? [] : parsed.error,
      });
    }
    for (const uid of [...this.#lastValid.keys()]) if (!live.has(uid)) this.#lastValid.delete(uid);
    const configs = entries.flatMap((e) => (e.config === undefined ? [] : [e.config]));
    const fingerprint = JSON.stringify(configs, (_k, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : v,
    );
    const changed = fingerprint !== this.#fingerprint;
    this.#fingerprint = fingerprint;
    return { entries, configs, changed };
  }
}
