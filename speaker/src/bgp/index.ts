export * from './types.js';
export * from './frr-plan.js';
export * from './advertise.js';
export * from './frr-config.js';
export * from './node-frr-plan.js';
export * from './sessions.js';
export * from './communities.js';
export * from './peer-password.js';
