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

  private inUse<T>(entries: readonly ConfigEntry<T>[]): T[] {
    return configsInUseLogged(entries, this.options.logger);
  }
}
