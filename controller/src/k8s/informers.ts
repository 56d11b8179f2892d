import type { KubernetesObject, V1Namespace, V1Service } from '@kubernetes/client-node';
import { IPPOOL_PLURAL, L2_ANNOUNCEMENT_PLURAL, type IPPool, type L2Announcement } from '@ironlb/shared';
import { Informer, type KubeClients, customInformer, sleep } from '@ironlb/shared/kube';
import type { Logger } from '@ironlb/shared/log';
import { slimNamespace, slimService } from './slim-objects.js';

export type WatchedKind = 'service' | 'pool' | 'namespace' | 'l2';

/** IPPool / L2Announcement as custom-object JSON (with a KubernetesObject-compatible metadata). */
export type PoolObject = IPPool & KubernetesObject;
export type L2Object = L2Announcement & KubernetesObject;

/** The four caches a leading session reads from. */
export interface ControllerInformers {
  readonly services: Informer<V1Service>;
  readonly pools: Informer<PoolObject>;
  readonly namespaces: Informer<V1Namespace>;
  readonly l2: Informer<L2Object>;
}

/**
 * Builds (does not start) the informers. Every add/update/delete (and every key of a relist) is
 * passed to `sink` with its kind, so the session can map it to work-queue keys. Services and Namespaces are
 * cached as slim copies (`slim-objects.ts`): only the fields the reconciler reads.
 */
export function createInformers(opts: {
  clients: KubeClients;
  sink: (kind: WatchedKind, key: string) => void;
  logger: Logger;
  /** Restricts the Service watch (and list). */
  serviceLabelSelector: string | undefined;
}): ControllerInformers {
  const { clients, sink, logger, serviceLabelSelector } = opts;
  const selector = serviceLabelSelector === undefined ? {} : { labelSelector: serviceLabelSelector };
  const kubeConfig = clients.kubeConfig;
  const queueFor = (kind: WatchedKind): { add(key: string): void } => ({
    add: (key) => {
      sink(kind, key);
    },
  });
  return {
    services: new Informer<V1Service>({
      kubeConfig,
      path: '/api/v1/services',
      list: () => clients.core.listServiceForAllNamespaces(selector),
      typeName: 'V1Service',
      transform: slimService,
      ...selector,
      queue: queueFor('service'),
      logger,
    }),
    namespaces: new Informer<V1Namespace>({
      kubeConfig,
      path: '/api/v1/namespaces',
      list: () => clients.core.listNamespace(),
      typeName: 'V1Namespace',
      transform: slimNamespace,
      queue: queueFor('namespace'),
      logger,
    }),
    pools: customInformer<PoolObject>({ clients, plural: IPPOOL_PLURAL, queue: queueFor('pool'), logger }),
    l2: customInformer<L2Object>({ clients, plural: L2_ANNOUNCEMENT_PLURAL, queue: queueFor('l2'), logger }),
  };
}

interface Syncable {
  start(signal?: AbortSignal): Promise<void>;
  stop(): Promise<void>;
  hasSynced(): boolean;
}

const all = (i: ControllerInformers): Syncable[] => [i.services, i.pools, i.namespaces, i.l2];

/** Starts all informers; resolves true once every cache holds a complete LIST, false if aborted first. */
export async function startAndSync(informers: ControllerInformers, signal: AbortSignal): Promise<boolean> {
  await Promise.all(all(informers).map((i) => i.start(signal)));
  while (!signal.aborted) {
    if (all(informers).every((i) => i.hasSynced())) return true;
    await sleep(50, signal);
  }
  return false;
}

export async function stopInformers(informers: ControllerInformers): Promise<void> {
  await Promise.all(all(informers).map((i) => i.stop()));
}
