import {
  IPPOOL_PLURAL,
  L2_ANNOUNCEMENT_PLURAL,
  l2ConfigCache,
  poolConfigCache,
  type ConfigEntry,
  type IPPoolConfig,
  type L2AnnouncementConfig,
} from '@ironlb/shared';
import { Informer, customInformer, type KubeClients } from '@ironlb/shared/kube';
import type { KubernetesObject, V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { configsInUseLogged } from './configs-in-use.js';
import type { EndpointFacts } from '../eligibility/index.js';
import type { PlanInput, ServiceView } from '../planner/index.js';
import {
  type SlimNode,
  type SlimService,
  type SlimSlice,
  slimNode,
  slimService,
  slimSlice,
} from './slim-views.js';

export interface ClusterViewOptions {
  clients: KubeClients;
  logger: Logger;
  /** Called (coalesced) whenever anything the plan depends on changed. */
  onChange: () => void;
  /** Services with this spec.loadBalancerClass are ours too (unset class always is: `servesService`). */
  loadBalancerClass: string | undefined;
}

/**
 * The speaker's read-only view of the cluster: Services, EndpointSlices, Nodes, IPPools and
 * L2Announcements, cached by restarting informers.
 *
 * Invariant: an API server outage changes nothing here: caches keep their last content until a new
 * LIST succeeds, so speakers keep announcing their last known state. freeze() (called when the view goes
 * stale) stops every watch so the caches hold one point in time, whatever a half-open connection still
 * delivers; catchUp() is true only once every cache has been replaced by a LIST issued after the freeze. An invalid IPPool or
 * L2Announcement never replaces the last valid version of the same object (shared last-valid
 * pipeline, keyed by uid, as in the controller); a restarted speaker takes an invalid pool's last
 * valid version from its status (`status.lastValidSpec`, written by the controller).
 *
 * Invariant: the caches hold slim views (`slim-views.ts`), never whole objects. A Service this speaker does not
 * serve is cached as null, and an EndpointSlice arriving while its Service is cached as null keeps only its
 * Service's key (a tombstone); a tombstone found for a served Service (its type or class changed, or it was
 * re-created as ours while its old slices were still arriving) makes the slice cache relist once, so no endpoint
 * is lost for good.
 */
export class ClusterView {
  private readonly services: Informer<V1Service, SlimService | null>;
  private readonly slices: Informer<V1EndpointSlice, SlimSlice | null>;
  private readonly nodes: Informer<V1Node, SlimNode>;
  private readonly pools: Informer<KubernetesObject>;
  private readonly announcements: Informer<KubernetesObject>;
  private readonly poolConfigs = poolConfigCache();
  private readonly announcementConfigs = l2ConfigCache();
  private running = false;
  private relisting = false;
  private signal: AbortSignal | undefined;
  /** Set by freeze(): each informer's lists() count then, and the stops in progress. */
  private frozen: { marks: number[]; stopped: Promise<unknown>; resumed: boolean } | undefined;

  constructor(private readonly options: ClusterViewOptions) {
    const { clients, logger } = options;
    const kubeConfig = clients.kubeConfig;
    const onEvent = (): void => {
      options.onChange();
    };
    this.services = new Informer<V1Service, SlimService | null>({
      kubeConfig,
      logger,
      onEvent,
      path: '/api/v1/services',
      typeName: 'V1Service',
      list: () => clients.core.listServiceForAllNamespaces(),
      transform: (svc) => slimService(svc, options.loadBalancerClass),
    });
    this.slices = new Informer<V1EndpointSlice, SlimSlice | null>({
      kubeConfig,
      logger,
      onEvent,
      path: '/apis/discovery.k8s.io/v1/endpointslices',
      typeName: 'V1EndpointSlice',
      list: () => clients.discovery.listEndpointSliceForAllNamespaces(),
      transform: (slice) => slimSlice(slice, (key) => this.served(key)),
    });
    this.nodes = new Informer<V1Node, SlimNode>({
      kubeConfig,
      logger,
      onEvent,
      path: '/api/v1/nodes',
      typeName: 'V1Node',
      list: () => clients.core.listNode(),
      transform: slimNode,
    });
    this.pools = customInformer({ clients, logger, onEvent, plural: IPPOOL_PLURAL });
    this.announcements = customInformer({ clients, logger, onEvent, plural: L2_ANNOUNCEMENT_PLURAL });
  }

  async start(signal: AbortSignal): Promise<void> {
    this.running = true;
    this.signal = signal;
    await Promise.all(this.informers().map((i) => i.start(signal)));
  }

  async stop(): Promise<void> {
    this.running = false;
    this.frozen = undefined;
    await Promise.all(this.informers().map((i) => i.stop()));
  }

  hasSynced(): boolean {
    return this.informers().every((i) => i.hasSynced());
  }

  /**
   * Stops every watch: the caches keep what they hold now and change no more (a half-open connection would
   * otherwise keep delivering some events and not others). Idempotent until catchUp() returns true.
   */
  freeze(): void {
    if (this.frozen !== undefined || !this.running) return;
    this.running = false;
    this.options.logger.info(
      'view frozen: watches stopped until the API server answers and every cache has relisted',
    );
    const informers = this.informers();
    this.frozen = {
      marks: informers.map((i) => i.lists()),
      stopped: Promise.all(informers.map((i) => i.stop())),
      resumed: false,
    };
  }

  /**
   * After freeze(): restarts the informers (each starts with a LIST) and resolves true once every one of them
   * has completed a LIST since the freeze, i.e. the whole view is as recent as those LISTs; false while one
   * has not (its informer keeps retrying; call again). True at once when not frozen.
   */
  async catchUp(): Promise<boolean> {
    const frozen = this.frozen;
    if (frozen === undefined) return true;
    await frozen.stopped;
    if (this.frozen !== frozen || this.signal?.aborted === true) return false;
    if (!frozen.resumed) {
      frozen.resumed = true;
      this.running = true;
      await Promise.all(this.informers().map((i) => i.start(this.signal)));
    }
    if (this.frozen !== frozen) return false;
    const done = this.informers().every((i, k) => i.lists() > (frozen.marks[k] ?? 0));
    if (done) {
      this.frozen = undefined;
      this.options.logger.info('view caught up: every cache has relisted, watches resumed');
    }
    return done;
  }

  private informers(): Pick<Informer<KubernetesObject>, 'start' | 'stop' | 'lists' | 'hasSynced'>[] {
    return [this.services, this.slices, this.nodes, this.pools, this.announcements];
  }

  /**
   * Everything the planner needs except liveness: the served Services that have an IP, with the endpoints of
   * their slices. Finding a tombstone of a served Service starts a relist of the slices (see the class comment).
   */
  snapshot(): Omit<PlanInput, 'alive'> {
    const endpoints = new Map<string, EndpointFacts[]>();
    let lostEndpoints = false;
    for (const slice of this.slices.list()) {
      if (slice === null) continue;
      if (slice.endpoints === null) {
        lostEndpoints ||= this.served(slice.service) === true;
        continue;
      }
      const list = endpoints.get(slice.service);
      if (list === undefined) endpoints.set(slice.service, [...slice.endpoints]);
      else list.push(...slice.endpoints);
    }
    if (lostEndpoints) this.relistSlices();
    const services: ServiceView[] = [];
    for (const svc of this.services.list()) {
      if (svc === null || svc.ips.length === 0) continue;
      services.push({ ...svc, endpoints: endpoints.get(`${svc.namespace}/${svc.name}`) ?? [] });
    }
    return {
      services,
      nodes: this.nodes.list().map((n) => n.facts),
      pools: this.validPools(),
      announcements: this.validAnnouncements(),
    };
  }

  /** Node name → InternalIPs (IPv4 first). */
  nodeAddresses(): Map<string, string[]> {
    return new Map(this.nodes.list().map((n) => [n.facts.name, [...n.internalIps]]));
  }

  /** Whether the Service "namespace/name" is ours, as cached now; undefined while it was never seen. */
  private served(key: string): boolean | undefined {
    const svc = this.services.get(key);
    return svc === undefined ? undefined : svc !== null;
  }

  /** Restarts the slice informer (a fresh LIST replaces its store); at most one at a time, never after stop(). */
  private relistSlices(): void {
    if (this.relisting || !this.running) return;
    this.relisting = true;
    this.options.logger.debug('a served Service has dropped EndpointSlices; relisting EndpointSlices');
    void (async () => {
      try {
        await this.slices.stop();
        if (this.running) await this.slices.start();
      } finally {
        this.relisting = false;
      }
    })();
  }

  private validPools(): IPPoolConfig[] {
    return this.inUse(this.poolConfigs.update(this.pools.list()));
  }

  private validAnnouncements(): L2AnnouncementConfig[] {
    return this.inUse(this.announcementConfigs.update(this.announcements.list()));
  }

  private inUse<T>(entries: readonly ConfigEntry<T>[]): T[] {
    return configsInUseLogged(entries, this.options.logger);
  }
}
