export * from './address-entry.js';
export * from './duration.js';
export * from './flag-values.js';
export * from './ip-pool.js';
export * from './l2-announcement.js';
export * from './label-selector.js';
export * from './pool-conditions.js';
export { type Collector, type Json, isObject } from './fields.js';
