export * from './types/result.js';
