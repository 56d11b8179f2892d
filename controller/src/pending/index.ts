export * from './explain-pending.js';
export * from './reasons.js';
