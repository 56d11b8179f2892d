import { networkInterfaces } from 'node:os';
import { EventRecorder, type KubeClients, readyzProbe } from '@ironlb/shared/kube';
import type { Logger } from 'pino';
import { BgpDriver } from './bgp-io/bgp-driver.js';
import { createBgpMetrics } from './bgp-io/bgp-metrics.js';
import { DEFAULT_FRR_TARGET } from './bgp-io/frr-applier.js';
import { AnnouncementReporter } from './k8s/announcement-reporter.js';
import { ApiFreshness } from './k8s/api-freshness.js';
import { ClusterView } from './k8s/cluster-view.js';
import { Announcer } from './l2/announcer.js';
import type { Conflict } from './l2/responder.js';
import { Membership, type MembershipChange, type MembershipSettings } from './membership/membership.js';
import type { SpeakerMetrics } from './metrics.js';

/** Callbacks the speaker gives its parts. */
export interface SpeakerHooks {
  onViewChange: () => void;
  onMembershipChange: (changes: MembershipChange[]) => void;
  onPeerState: (node: string) => void;
  onConflict: (conflict: Conflict & { interface: string }) => void;
  onStaleChange: (stale: boolean, stalenessMs: number) => void;
  /** MACs peers may see from us (for telling a handover from a conflict). */
  peerMacs: () => Set<string>;
}

/** The speaker's collaborators, by the surface it uses (tests pass fakes). */
export interface SpeakerParts {
  view: Pick<ClusterView, 'start' | 'stop' | 'hasSynced' | 'snapshot' | 'nodeAddresses'>;
  membership: Pick<
    Membership,
    'start' | 'stop' | 'leave' | 'setPeers' | 'alive' | 'peers' | 'publish' | 'peerMacs'
  >;
  announcer: Pick<Announcer, 'start' | 'stop' | 'apply' | 'announced' | 'reassert'>;
  freshness: Pick<ApiFreshness, 'start' | 'stop' | 'stalenessMs' | 'stale' | 'freshSinceMs'>;
  recorder: Pick<EventRecorder, 'start' | 'stop' | 'emit'>;
  reporter: Pick<AnnouncementReporter, 'report' | 'setAnnounced' | 'stop' | 'conflict'>;
  /** BGP mode (absent when off). */
  bgp?: Pick<BgpDriver, 'start' | 'stop' | 'hasSynced' | 'plan'> | undefined;
  /** The host's interfaces (os.networkInterfaces). */
  interfaces: () => ReturnType<typeof networkInterfaces>;
}

export interface RealPartsOptions {
  nodeName: string;
  clients: KubeClients;
  logger: Logger;
  metrics: SpeakerMetrics;
  membership: MembershipSettings;
  conflictProbeIntervalMs: number;
  staleAfterMs: number;
  /** Services with this spec.loadBalancerClass are announced too (unset class always is). */
  loadBalancerClass?: string | undefined;
  /** Receive buffer each ARP/NDP socket asks for (default PACKET_RECEIVE_BUFFER_BYTES, 4 MiB). */
  packetReceiveBufferBytes?: number | undefined;
  /** BGP mode: this node's FRR (instance, frr.conf directory) and the session poll period; absent = off. */
  bgp?: BgpModeOptions | undefined;
}

/** BGP mode settings, as the flags give them (options.ts) and the parts use them. */
export interface BgpModeOptions {
  frrInstance: string | undefined;
  frrConfigDir: string;
  sessionPollMs: number;
  /** Namespace of the BGPPeers' password Secrets. */
  passwordNamespace: string;
}

/** API freshness probe period and timeout: one cheap GET per second per node. */
const PROBE_INTERVAL_MS = 1000;
const PROBE_TIMEOUT_MS = 1000;

/** The production parts: informers, UDP membership, packet sockets, /readyz probe, Kubernetes events. */
export function realParts(o: RealPartsOptions, hooks: SpeakerHooks): SpeakerParts {
  const { logger, metrics, clients } = o;
  const recorder = new EventRecorder({
    events: clients.events,
    reportingController: 'ironlb.io/speaker',
    reportingInstance: o.nodeName,
    logger,
  });
  const view = new ClusterView({
    clients,
    loadBalancerClass: o.loadBalancerClass,
    logger: logger.child({ component: 'cluster-view' }),
    onChange: hooks.onViewChange,
  });
  return {
    view,
    membership: new Membership({
      ...o.membership,
      self: o.nodeName,
      onChange: hooks.onMembershipChange,
      onPeerState: hooks.onPeerState,
      onInvalid: (reason) => {
        logger.debug({ reason }, 'dropped membership datagram');
      },
      onWarning: (message) => {
        logger.warn(message);
      },
    }),
    announcer: new Announcer({
      metrics,
      logger: logger.child({ component: 'announcer' }),
      peerMacs: hooks.peerMacs,
      onConflict: hooks.onConflict,
      conflictProbeIntervalMs: o.conflictProbeIntervalMs,
      reannounceDelayMs: o.membership.timeoutMs + o.membership.intervalMs,
      receiveBufferBytes: o.packetReceiveBufferBytes,
    }),
    freshness: new ApiFreshness({
      probe: readyzProbe(clients.kubeConfig),
      intervalMs: PROBE_INTERVAL_MS,
      timeoutMs: PROBE_TIMEOUT_MS,
      staleAfterMs: o.staleAfterMs,
      onStaleChange: hooks.onStaleChange,
      // Fresh means the view has caught up: frozen while stale, relisted before it counts as fresh again.
      view,
    }),
    recorder,
    reporter: new AnnouncementReporter({
      self: o.nodeName,
      recorder,
      core: clients.core,
      logger,
      annotationDebounceMs: 500,
    }),
    bgp:
      o.bgp === undefined
        ? undefined
        : new BgpDriver({
            nodeName: o.nodeName,
            target: { ...DEFAULT_FRR_TARGET, instance: o.bgp.frrInstance, configDir: o.bgp.frrConfigDir },
            clients,
            recorder,
            metrics: createBgpMetrics(metrics.registry),
            logger,
            pollIntervalMs: o.bgp.sessionPollMs,
            passwordNamespace: o.bgp.passwordNamespace,
            onChange: hooks.onViewChange,
          }),
    interfaces: networkInterfaces,
  };
}
