import {
  BFD_PROFILE_PLURAL,
  BGP_ADVERTISEMENT_PLURAL,
  BGP_PEER_PLURAL,
  bfdProfileConfigCache,
  bgpAdvertisementConfigCache,
  bgpPeerConfigCache,
  type BfdProfileConfig,
  type BgpAdvertisementConfig,
  type BgpPeerConfig,
  type ConfigEntry,
} from '@ironlb/shared';
import { customInformer, type Informer, type KubeClients } from '@ironlb/shared/kube';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { sessionState, type ObservedPeerStatus } from '../bgp/index.js';
import { configsInUseLogged } from '../k8s/configs-in-use.js';

export interface BgpConfigSnapshot {
  peers: readonly BgpPeerConfig[];
  advertisements: readonly BgpAdvertisementConfig[];
  bfdProfiles: readonly BfdProfileConfig[];
}

/**
 * BGPPeers, BGPAdvertisements and BFDProfiles, cached by restarting informers and parsed through the shared
 * last-valid pipeline (an invalid spec never replaces the last valid one of the same uid; nothing is persisted
 * for these kinds, so after a restart an invalid object is not used).
 */
export class BgpConfigView {
  private readonly peers: Informer<KubernetesObject>;
  private readonly advertisements: Informer<KubernetesObject>;
  private readonly profiles: Informer<KubernetesObject>;
  private readonly peerConfigs = bgpPeerConfigCache();
  private readonly advertisementConfigs = bgpAdvertisementConfigCache();
  private readonly profileConfigs = bfdProfileConfigCache();

  constructor(private readonly options: { clients: KubeClients; logger: Logger; onChange: () => void }) {
    const { clients, logger } = options;
    const onEvent = (): void => {
      options.onChange();
    };
    this.peers = customInformer({ clients, logger, onEvent, plural: BGP_PEER_PLURAL });
    this.advertisements = customInformer({ clients, logger, onEvent, plural: BGP_ADVERTISEMENT_PLURAL });
    this.profiles = customInformer({ clients, logger, onEvent, plural: BFD_PROFILE_PLURAL });
  }

  private all(): Informer<KubernetesObject>[] {
    return [this.peers, this.advertisements, this.profiles];
  }

  async start(signal: AbortSignal): Promise<void> {
    await Promise.all(this.all().map((i) => i.start(signal)));
  }

  async stop(): Promise<void> {
    await Promise.all(this.all().map((i) => i.stop()));
  }

  hasSynced(): boolean {
    return this.all().every((i) => i.hasSynced());
  }

  snapshot(): BgpConfigSnapshot {
    return {
      peers: this.inUse(this.peerConfigs.update(this.peers.list())),
      advertisements: this.inUse(this.advertisementConfigs.update(this.advertisements.list())),
      bfdProfiles: this.inUse(this.profileConfigs.update(this.profiles.list())),
    };
  }

  /** Each BGPPeer's status as the API server holds it (name → status), from the watch cache. */
  peerStatuses(): Map<string, ObservedPeerStatus> {
    return new Map(
      this.peers
        .list()
        .flatMap((o) => (o.metadata?.name === undefined ? [] : [[o.metadata.name, observedStatus(o)]])),
    );
  }

  private inUse<T>(entries: readonly ConfigEntry<T>[]): T[] {
    return configsInUseLogged(entries, this.options.logger);
  }
}

/** The sessions and summary of a BGPPeer's status; entries that are not `{node, state}` are skipped. */
export function observedStatus(o: KubernetesObject): ObservedPeerStatus {
  const status = (o as { status?: { sessions?: unknown; summary?: unknown } }).status;
  const raw = Array.isArray(status?.sessions) ? (status.sessions as unknown[]) : [];
  const sessions = raw.flatMap((e) => {
    if (typeof e !== 'object' || e === null) return [];
    const { node, state, lastChange } = e as Record<string, unknown>;
    const known = typeof state === 'string' ? sessionState(state) : undefined;
    if (typeof node !== 'string' || known === undefined) return [];
    return [{ node, state: known, ...(typeof lastChange === 'string' ? { lastChange } : {}) }];
  });
  return { sessions, summary: typeof status?.summary === 'string' ? status.summary : undefined };
}
