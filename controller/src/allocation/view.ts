import type { IPAddress, IPFamily, IPPoolConfig, PoolReadiness } from '@ironlb/shared';
import type { AllocationRequest, FamilyStats } from './types.js';

/** Read-only pool state the pending checks need (implemented by PoolState). */
export interface PoolView {
  readonly config: IPPoolConfig;
  contains(ip: IPAddress): boolean;
  offers(ip: IPAddress): boolean;
  hasFamily(family: IPFamily): boolean;
  lowestFree(family: IPFamily): IPAddress | undefined;
  stats(family: IPFamily): FamilyStats;
}

export interface HolderView {
  readonly serviceKey: string;
  readonly request: AllocationRequest;
}

/** Read-only allocator state (implemented by Allocator), so pending checks stay pure functions. */
export interface AllocatorView {
  /** Pools in allocation order: priority ascending (unset last), then name. */
  readonly poolsInOrder: readonly PoolView[];
  readinessOf(pool: string): PoolReadiness | undefined;
  holdersOf(ip: IPAddress): readonly HolderView[];
}
