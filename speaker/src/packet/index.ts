export * from './addresses.js';
export * from './ethernet.js';
export * from './arp.js';
export * from './ipv6.js';
export * from './ndp.js';
