import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { networkInterfaces } from 'node:os';
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
  /** Listen; resolves with the bound address (`http://[::]:<port>` when no host is configured on an IPv6 host). */
  start(): Promise<string>;
  stop(): Promise<void>;
}

const PROBE_METRIC = 'ironlb_process_cpu_user_seconds_total';
const TEXT = 'text/plain; charset=utf-8';

function send(res: ServerResponse, o: { status: number; type: string; body: string; head: boolean }): void {
  res.writeHead(o.status, { 'content-type': o.type, 'content-length': Buffer.byteLength(o.body) });
  res.end(o.head ? undefined : o.body);
}

function probe(result: ProbeResult): { status: number; body: string } {
  return result.ok ? { status: 200, body: 'ok\n' } : { status: 503, body: `${result.reason}\n` };
}

async function answer(options: OpsServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const head = req.method === 'HEAD';
  const path = (req.url ?? '/').split('?', 1)[0];
  if (req.method !== 'GET' && !head) {
    send(res, { status: 405, type: TEXT, body: 'method not allowed\n', head });
    return;
  }
  if (path === '/healthz') {
    send(res, { ...probe(options.isHealthy()), type: TEXT, head });
  } else if (path === '/readyz') {
    send(res, { ...probe(options.isReady()), type: TEXT, head });
  } else if (path === '/metrics') {
    const body = await options.registry.metrics();
    send(res, { status: 200, type: options.registry.contentType, body, head });
  } else {
    send(res, { status: 404, type: TEXT, body: 'not found\n', head });
  }
}

/**
 * /healthz, /readyz and /metrics on one `node:http` server (GET and HEAD; anything else 404/405). Nothing listens
 * until `start()`. Invariant: default process metrics are registered on `registry` at most once.
 */
export function createOpsServer(options: OpsServerOptions): OpsServer {
  if (options.registry.getSingleMetric(PROBE_METRIC) === undefined) {
    collectDefaultMetrics({ register: options.registry, prefix: 'ironlb_' });
  }
  let server: Server | undefined;
  return {
    start: async () => {
      const host = opsListenHost({
        configured: options.host,
        addresses: Object.values(networkInterfaces()).flatMap((list) => list ?? []),
      });
      const s = createServer((req, res) => {
        answer(options, req, res).catch((error: unknown) => {
          options.logger?.error({ err: error, url: req.url }, 'ops server request failed');
          if (!res.headersSent) send(res, { status: 500, type: TEXT, body: 'internal error\n', head: false });
          else res.destroy();
        });
      });
      server = s;
      // ipv6Only false: `::` also accepts IPv4 clients, whatever net.ipv6.bindv6only says.
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen({ host, port: options.port, ipv6Only: false }, () => {
          s.off('error', reject);
          resolve();
        });
      });
      const bound = s.address();
      if (bound === null || typeof bound === 'string') return `http://${host}:${options.port}`;
      return `http://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
    },
    stop: async () => {
      const s = server;
      server = undefined;
      if (s === undefined) return;
      await new Promise<void>((resolve) => {
        s.close(() => {
          resolve();
        });
        // Scrapers keep connections alive; without this close() would wait for them.
        s.closeAllConnections();
      });
    },
  };
}
