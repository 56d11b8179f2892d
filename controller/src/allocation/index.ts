export * from './allocator.js';
export * from './eligibility.js';
export * from './explain-pending.js';
export * from './family-plan.js';
export * from './pending-reason.js';
export * from './service-request.js';
export * from './sharing.js';
export * from './types.js';
export type * from './view.js';
