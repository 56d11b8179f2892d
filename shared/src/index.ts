export * from './types/result.js';
export * from './types/api.js';
export * from './types/bgp.js';
export * from './types/annotations.js';
export * from './ip/index.js';
export * from './config/index.js';
