import { err, ok, type Result } from '../types/result.js';
import {
  coordinationV1Client,
  coreV1Client,
  customObjectsClient,
  discoveryV1Client,
  eventsV1Client,
  type CoordinationV1Client,
  type CoreV1Client,
  type CustomObjectsClient,
  type DiscoveryV1Client,
  type EventsV1Client,
} from './api-clients.js';
import { type KubeConfigSource, loadKubeAccess } from './kube-config.js';
import { KubeConnection } from './kube-connection.js';

export interface KubeClientOptions extends KubeConfigSource {
  /** Socket bound for ordinary API calls (default 8); more concurrent calls queue in the pool. */
  readonly maxSockets?: number;
  /** Socket bound for watches (default 32): one socket per running watch. */
  readonly maxWatchSockets?: number;
  /** Idle keep-alive time of a pooled socket in ms (default 60 s). */
  readonly keepAliveMs?: number;
}

export interface KubeClients {
  /** The connection every client and informer of this process shares (named after what it replaces). */
  readonly kubeConfig: KubeConnection;
  readonly core: CoreV1Client;
  readonly coordination: CoordinationV1Client;
  readonly events: EventsV1Client;
  readonly custom: CustomObjectsClient;
  readonly discovery: DiscoveryV1Client;
  /** Open sockets in each pool (for tests and debugging). */
  socketStats(): { requests: number; watches: number };
  /** Close both pools; in-flight requests finish first. */
  close(): Promise<void>;
}

/**
 * Typed API clients that reuse connections: every call goes through one of two shared keep-alive
 * pools (bounded request pool, separate watch pool). Config source: inline YAML, else the kubeconfig
 * file, else in-cluster. Failure to load the config is a value.
 */
export async function createKubeClients(options: KubeClientOptions): Promise<Result<KubeClients>> {
  const access = await loadKubeAccess(options);
  if (!access.ok) return err(`cannot load kubeconfig: ${access.error}`);
  const kube = new KubeConnection({
    access: access.value,
    ...(options.maxSockets !== undefined && { maxSockets: options.maxSockets }),
    ...(options.maxWatchSockets !== undefined && { maxWatchSockets: options.maxWatchSockets }),
    ...(options.keepAliveMs !== undefined && { keepAliveMs: options.keepAliveMs }),
  });
  return ok({
    kubeConfig: kube,
    core: coreV1Client(kube),
    coordination: coordinationV1Client(kube),
    events: eventsV1Client(kube),
    custom: customObjectsClient(kube),
    discovery: discoveryV1Client(kube),
    socketStats: () => kube.socketStats(),
    close: () => kube.close(),
  });
}
