export * from './types.js';
export * from './endpoints.js';
export * from './eligibility.js';
