import {
  IPPOOL_PLURAL,
  L2_ANNOUNCEMENT_PLURAL,
  configsInUse,
  l2ConfigCache,
  poolConfigCache,
  type ConfigEntry,
  type IPPoolConfig,
  type L2AnnouncementConfig,
} from '@ironlb/shared';
import { Informer, customInformer, type KubeClients } from '@ironlb/shared/kube';
import type { KubernetesObject, V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { EndpointFacts } from '../eligibility/index.js';
import type { PlanInput, ServiceView } from '../planner/index.js';
import { endpointFacts, internalIps, nodeFacts, serviceView, sliceServiceKey } from './facts.js';

export interface ClusterViewOptions {
  clients: KubeClients;
  logger: Logger;
  /** Called (coalesced) whenever anything the plan depends on changed. */
  onChange: () => void;
  /** Services with this spec.loadBalancerClass are ours too (unset class always is). */
  loadBalancerClass: string | undefined;
}

/**
 * The speaker's read-only view of the cluster: Services, EndpointSlices, Nodes, IPPools and
 * L2Announcements, cached by restarting informers.
 *
 * Invariant: an API server outage changes nothing here: caches keep their last content until a new
 * LIST succeeds, so speakers keep announcing their last known state. An invalid IPPool or
 * L2Announcement never replaces the last valid version of the same object (shared last-valid
 * pipeline, keyed by uid, as in the controller); a restarted speaker takes an invalid pool's last
 * valid version from its status (`status.lastValidSpec`, written by the controller).
 */
export class ClusterView {
  private readonly services: Informer<V1Service>;
  private readonly slices: Informer<V1EndpointSlice>;
  private readonly nodes: Informer<V1Node>;
  private readonly pools: Informer<KubernetesObject>;
  private readonly announcements: Informer<KubernetesObject>;
  private readonly poolConfigs = poolConfigCache();
  private readonly announcementConfigs = l2ConfigCache();

  constructor(private readonly options: ClusterViewOptions) {
    const { clients, logger } = options;
    const kubeConfig = clients.kubeConfig;
    const onEvent = (): void => {
      options.onChange();
    };
    this.services = new Informer<V1Service>({
      kubeConfig,
      logger,
      onEvent,
      path: '/api/v1/services',
      typeName: 'V1Service',
      list: () => clients.core.listServiceForAllNamespaces(),
    });
    this.slices = new Informer<V1EndpointSlice>({
      kubeConfig,
      logger,
      onEvent,
      path: '/apis/discovery.k8s.io/v1/endpointslices',
      typeName: 'V1EndpointSlice',
      list: () => clients.discovery.listEndpointSliceForAllNamespaces(),
    });
    this.nodes = new Informer<V1Node>({
      kubeConfig,
      logger,
      onEvent,
      path: '/api/v1/nodes',
      typeName: 'V1Node',
      list: () => clients.core.listNode(),
    });
    this.pools = customInformer({ clients, logger, onEvent, plural: IPPOOL_PLURAL });
    this.announcements = customInformer({ clients, logger, onEvent, plural: L2_ANNOUNCEMENT_PLURAL });
  }

  async start(signal: AbortSignal): Promise<void> {
    await Promise.all(
      [this.services, this.slices, this.nodes, this.pools, this.announcements].map((i) => i.start(signal)),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(
      [this.services, this.slices, this.nodes, this.pools, this.announcements].map((i) => i.stop()),
    );
  }

  hasSynced(): boolean {
    return [this.services, this.slices, this.nodes, this.pools, this.announcements].every((i) =>
      i.hasSynced(),
    );
  }

  /** Everything the planner needs except liveness. */
  snapshot(): Omit<PlanInput, 'alive'> {
    const endpoints = new Map<string, EndpointFacts[]>();
    for (const slice of this.slices.list()) {
      const key = sliceServiceKey(slice);
      if (key) endpoints.set(key, [...(endpoints.get(key) ?? []), ...endpointFacts(slice)]);
    }
    const services: ServiceView[] = [];
    for (const svc of this.services.list()) {
      const key = `${svc.metadata?.namespace ?? ''}/${svc.metadata?.name ?? ''}`;
      const view = serviceView(svc, {
        endpoints: endpoints.get(key) ?? [],
        loadBalancerClass: this.options.loadBalancerClass,
      });
      if (view) services.push(view);
    }
    return {
      services,
      nodes: this.nodes.list().map(nodeFacts),
      pools: this.validPools(),
      announcements: this.validAnnouncements(),
    };
  }

  /** Node name → InternalIPs (IPv4 first). */
  nodeAddresses(): Map<string, string[]> {
    return new Map(this.nodes.list().map((n) => [n.metadata?.name ?? '', internalIps(n)]));
  }

  node(name: string): V1Node | undefined {
    return this.nodes.get(name);
  }

  private validPools(): IPPoolConfig[] {
    return this.inUse(this.poolConfigs.update(this.pools.list()));
  }

  private validAnnouncements(): L2AnnouncementConfig[] {
    return this.inUse(this.announcementConfigs.update(this.announcements.list()));
  }

  private inUse<T>(entries: readonly ConfigEntry<T>[]): T[] {
    for (const e of entries)
      if (e.errors.length > 0)
        this.options.logger.debug(
          { object: e.name, errors: e.errors, using: e.source },
          e.config === undefined
            ? 'invalid object; not used'
            : 'invalid object; keeping its last valid version',
        );
    return configsInUse(entries);
  }
}
