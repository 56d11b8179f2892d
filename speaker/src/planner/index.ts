export * from './types.js';
export * from './plan.js';
export * from './plan-memo.js';
export * from './desired-interfaces.js';
