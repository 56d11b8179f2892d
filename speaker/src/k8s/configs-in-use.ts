import type { ConfigEntry } from '@ironlb/shared';
import { configsInUse } from '@ironlb/shared';
import type { Logger } from 'pino';

/**
 * The configs the speaker uses from a last-valid cache update (see `configsInUse`), logging at debug every object
 * whose current spec is invalid and whether its last valid version stands in for it. One place for the cluster
 * view (pools, L2Announcements) and the BGP view (peers, advertisements, BFD profiles).
 */
export function configsInUseLogged<T>(entries: readonly ConfigEntry<T>[], logger: Logger): T[] {
  for (const e of entries)
    if (e.errors.length > 0)
      logger.debug(
        { object: e.name, errors: e.errors, using: e.source },
        e.config === undefined
          ? 'invalid object; not used'
          : 'invalid object; keeping its last valid version',
      );
  return configsInUse(entries);
}
