/** Health and metrics HTTP server for both binaries (`@ironlb/shared/http`). */
export { createOpsServer, type OpsServer, type OpsServerOptions, type ProbeResult } from './ops-server.js';
export { DUAL_STACK_HOST, IPV4_ANY_HOST, opsListenHost } from './listen-host.js';
