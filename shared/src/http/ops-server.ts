import { networkInterfaces } from 'node:os';
import fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { collectDefaultMetrics, type Registry } from 'prom-client';
import { opsListenHost } from './listen-host.js';

/** A probe's verdict; a failing one says why (shown in the 503 body). */
export type ProbeResult = { ok: true } | { ok: false; reason: string };

export interface OpsServerOptions {
  /** undefined: every address of both families (`::` dual stack; `0.0.0.0` without IPv6), see listen-host.ts. */
  readonly host: string | undefined;
  readonly port: number;
  /** Served at /metrics; default process metrics are added with the `ironlb_` prefix. */
  readonly registry: Registry;
  readonly isReady: () => ProbeResult;
  readonly isHealthy: () => ProbeResult;
  readonly logger?: Logger;
}

export interface OpsServer {
  /** The fastify instance (tests use `app.inject`). */
  readonly app: FastifyInstance;
  /** Listen; resolves with the bound address (`http://[::]:<port>` when no host is configured on an IPv6 host). */
  start(): Promise<string>;
  stop(): Promise<void>;
}

const PROBE_METRIC = 'ironlb_process_cpu_user_seconds_total';

function probeRoute(app: FastifyInstance, path: string, probe: () => ProbeResult): void {
  app.get(path, async (_req, reply) => {
    const result = probe();
    reply.type('text/plain; charset=utf-8');
    if (result.ok) return reply.code(200).send('ok\n');
    return reply.code(503).send(`${result.reason}\n`);
  });
}

/**
 * /healthz, /readyz and /metrics on one fastify instance. Nothing listens until `start()`.
 * Invariant: default process metrics are registered on `registry` at most once.
 */
export function createOpsServer(options: OpsServerOptions): OpsServer {
  if (options.registry.getSingleMetric(PROBE_METRIC) === undefined) {
    collectDefaultMetrics({ register: options.registry, prefix: 'ironlb_' });
  }
  // pino's Logger is a FastifyBaseLogger; typed as such so the instance is a plain FastifyInstance.
  const loggerInstance: FastifyBaseLogger | undefined = options.logger;
  const app: FastifyInstance = fastify({
    ...(loggerInstance ? { loggerInstance } : {}),
    disableRequestLogging: true,
  });
  probeRoute(app, '/healthz', options.isHealthy);
  probeRoute(app, '/readyz', options.isReady);
  app.get('/metrics', async (_req, reply) => {
    const body = await options.registry.metrics();
    return reply.type(options.registry.contentType).send(body);
  });
  return {
    app,
    start: async () => {
      const host = opsListenHost({
        configured: options.host,
        addresses: Object.values(networkInterfaces()).flatMap((list) => list ?? []),
      });
      // ipv6Only false: `::` also accepts IPv4 clients, whatever net.ipv6.bindv6only says.
      const first = await app.listen({ host, port: options.port, ipv6Only: false });
      // fastify resolves with one of the interface addresses; report the socket's own (e.g. http://[::]:7473).
      const bound = app.server.address();
      if (bound === null || typeof bound === 'string') return first;
      return `http://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
    },
    stop: () => app.close(),
  };
}
