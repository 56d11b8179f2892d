import {
  API_GROUP,
  API_VERSION,
  IPPOOL_PLURAL,
  L2_ANNOUNCEMENT_PLURAL,
  parseIPPool,
  parseL2Announcement,
  type IPPoolConfig,
  type L2AnnouncementConfig,
} from '@ironlb/shared';
import { Informer, type KubeClients } from '@ironlb/shared/kube';
import type {
  KubernetesListObject,
  KubernetesObject,
  V1EndpointSlice,
  V1Node,
  V1Service,
} from '@kubernetes/client-node';
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
 * L2Announcement never replaces the last valid version of the same object.
 */
export class ClusterView {
  private readonly services: Informer<V1Service>;
  private readonly slices: Informer<V1EndpointSlice>;
  private readonly nodes: Informer<V1Node>;
  private readonly pools: Informer<KubernetesObject>;
  private readonly announcements: Informer<KubernetesObject>;
  private readonly lastValidPools = new Map<string, IPPoolConfig>();
  private readonly lastValidAnnouncements = new Map<string, L2AnnouncementConfig>();

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
    this.pools = this.customInformer(IPPOOL_PLURAL);
    this.announcements = this.customInformer(L2_ANNOUNCEMENT_PLURAL);
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
    return refreshValid({
      objects: this.pools.list(),
      cache: this.lastValidPools,
      parse: parseIPPool,
      logger: this.options.logger,
    });
  }

  private validAnnouncements(): L2AnnouncementConfig[] {
    return refreshValid({
      objects: this.announcements.list(),
      cache: this.lastValidAnnouncements,
      parse: parseL2Announcement,
      logger: this.options.logger,
    });
  }

  private customInformer(plural: string): Informer<KubernetesObject> {
    const { clients, logger } = this.options;
    return new Informer<KubernetesObject>({
      kubeConfig: clients.kubeConfig,
      logger,
      onEvent: () => {
        this.options.onChange();
      },
      path: `/apis/${API_GROUP}/${API_VERSION}/${plural}`,
      list: async () =>
        (await clients.custom.listClusterCustomObject({
          group: API_GROUP,
          version: API_VERSION,
          plural,
        })) as KubernetesListObject<KubernetesObject>,
    });
  }
}

/** Parses every object; an invalid one falls back to its last valid version, a deleted one is dropped. */
function refreshValid<T extends { name: string }>(args: {
  objects: KubernetesObject[];
  cache: Map<string, T>;
  parse: (obj: unknown) => { ok: true; value: T } | { ok: false; error: string[] };
  logger: Logger;
}): T[] {
  const seen = new Set<string>();
  for (const obj of args.objects) {
    const name = obj.metadata?.name ?? '';
    seen.add(name);
    const parsed = args.parse(obj);
    if (parsed.ok) args.cache.set(name, parsed.value);
    else
      args.logger.debug(
        { object: name, errors: parsed.error },
        'invalid object; keeping its last valid version',
      );
  }
  for (const name of [...args.cache.keys()]) if (!seen.has(name)) args.cache.delete(name);
  return [...args.cache.values()];
}
