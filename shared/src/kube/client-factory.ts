import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  EventsV1Api,
} from '@kubernetes/client-node';
import type { AgentOptions, RequestOptions } from 'node:https';
import { err, ok, type Result } from '../types/result.js';
import { PooledKubeConfig } from './pooled-kube-config.js';
import { createPooledDispatcher, type PooledDispatcher } from './undici-agent.js';

export interface KubeClientOptions {
  /** A kubeconfig file. main.ts passes `process.env.KUBECONFIG`; absent → in-cluster config. */
  readonly kubeconfigPath?: string | undefined;
  /** Inline kubeconfig YAML (tests, CLI); wins over `kubeconfigPath`. */
  readonly kubeconfigYaml?: string | undefined;
  /** Socket bound for ordinary API calls (default 8); more concurrent calls queue in the pool. */
  readonly maxSockets?: number;
  /** Socket bound for watches (default 32): one socket per running watch. */
  readonly maxWatchSockets?: number;
  /** Idle keep-alive time of a pooled socket in ms (default 60 s). */
  readonly keepAliveMs?: number;
}

export interface KubeClients {
  readonly kubeConfig: PooledKubeConfig;
  readonly core: CoreV1Api;
  readonly coordination: CoordinationV1Api;
  readonly events: EventsV1Api;
  readonly custom: CustomObjectsApi;
  readonly discovery: DiscoveryV1Api;
  /** Open sockets per origin in each pool (for tests and debugging). */
  socketStats(): { requests: number; watches: number };
  /** Close both pools; in-flight requests finish first. */
  close(): Promise<void>;
}

function load(options: KubeClientOptions): Result<PooledKubeConfig> {
  const kc = new PooledKubeConfig();
  try {
    if (options.kubeconfigYaml !== undefined) kc.loadFromString(options.kubeconfigYaml);
    else if (options.kubeconfigPath !== undefined) kc.loadFromFile(options.kubeconfigPath);
    else kc.loadFromCluster();
  } catch (e) {
    return err(`cannot load kubeconfig: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (kc.getCurrentCluster() === null) return err('kubeconfig has no current cluster');
  return ok(kc);
}

/** TLS options (ca, client cert/key, servername, rejectUnauthorized) exactly as the library derives them. */
async function connectOptions(kc: PooledKubeConfig): Promise<Result<Record<string, unknown>>> {
  const opts: RequestOptions = {};
  try {
    await kc.applyToHTTPSOptions(opts);
    const tls: AgentOptions = {
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      pfx: opts.pfx,
      passphrase: opts.passphrase,
      servername: opts.servername,
    };
    if (opts.rejectUnauthorized !== undefined) tls.rejectUnauthorized = opts.rejectUnauthorized;
    const spec = kc.createDispatcherOptions(kc.getCurrentCluster(), tls);
    if (spec.type === 'agent') return ok(spec.connect as Record<string, unknown>);
    if (spec.type === 'none') return ok({ keepAlive: true, keepAliveInitialDelay: 30_000 });
    return err(`proxied clusters (${spec.type}) are not supported by the pooled client`);
  } catch (e) {
    return err(`cannot derive TLS options: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function countSockets(pool: PooledDispatcher): number {
  return Object.values(pool.stats()).reduce((sum, s) => sum + s.connected, 0);
}

/**
 * Typed API clients that reuse connections: every call goes through one of two shared undici
 * keep-alive pools (bounded request pool, separate watch pool). Failure to load the kubeconfig
 * is a value.
 */
export async function createKubeClients(options: KubeClientOptions): Promise<Result<KubeClients>> {
  const loaded = load(options);
  if (!loaded.ok) return loaded;
  const kc = loaded.value;
  const connect = await connectOptions(kc);
  if (!connect.ok) return connect;
  const keepAliveTimeout = options.keepAliveMs ?? 60_000;
  const requests = createPooledDispatcher({
    connect: connect.value,
    connections: options.maxSockets ?? 8,
    keepAliveTimeout,
  });
  const watches = createPooledDispatcher({
    connect: connect.value,
    connections: options.maxWatchSockets ?? 32,
    keepAliveTimeout,
  });
  kc.useDispatchers({ requests: requests.dispatcher, watches: watches.dispatcher });
  return ok({
    kubeConfig: kc,
    core: kc.makeApiClient(CoreV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
    events: kc.makeApiClient(EventsV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    discovery: kc.makeApiClient(DiscoveryV1Api),
    socketStats: () => ({ requests: countSockets(requests), watches: countSockets(watches) }),
    close: async () => {
      await Promise.all([requests.close(), watches.close()]);
    },
  });
}
