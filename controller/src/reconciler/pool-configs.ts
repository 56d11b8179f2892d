import {
  type IPPoolConfig,
  type L2AnnouncementConfig,
  type PoolEntry,
  configsInUse,
  l2ConfigCache,
  poolConfigCache,
} from '@ironlb/shared';
import type { L2Object, PoolObject } from '../k8s/informers.js';

export type { PoolEntry } from '@ironlb/shared';

/**
 * Turns IPPool and L2Announcement objects into configs through the shared last-valid pipeline
 * (shared/src/config/last-valid.ts): an invalid spec keeps the last valid version, and a pool seeds
 * it from `status.lastValidSpec`, so a fresh session (restart, new leader) keeps every pool that an
 * earlier session used. One instance per session.
 */
export class PoolConfigs {
  readonly #pools = poolConfigCache();
  readonly #l2 = l2ConfigCache();
  readonly #poolsSeen = new LastSeen();
  readonly #l2Seen = new LastSeen();

  /** Entries for the current pools; `changed` says whether the config set differs from last time. */
  update(objects: readonly PoolObject[]): {
    entries: PoolEntry[];
    configs: IPPoolConfig[];
    changed: boolean;
  } {
    const entries = this.#pools.update(objects);
    const configs = configsInUse(entries);
    return { entries, configs, changed: this.#poolsSeen.changed(configs) };
  }

  /**
   * The announcements in use (an invalid one keeps its last valid version, like the speaker); `changed` says
   * whether they differ from last time.
   */
  announcements(objects: readonly L2Object[]): { announcements: L2AnnouncementConfig[]; changed: boolean } {
    const announcements = configsInUse(this.#l2.update(objects));
    return { announcements, changed: this.#l2Seen.changed(announcements) };
  }
}

/** Remembers the JSON of the last value it was given (bigints as text); says whether a new one differs. */
class LastSeen {
  #json = '';

  changed(value: unknown): boolean {
    const json = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    const changed = json !== this.#json;
    this.#json = json;
    return changed;
  }
}
