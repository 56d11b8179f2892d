/** Plain-data inputs for the eligibility checks; built by the speaker from informer caches. */

export type LabelMatcher = (labels: Readonly<Record<string, string>>) => boolean;

export interface NodeFacts {
  name: string;
  labels: Readonly<Record<string, string>>;
  /** Ready condition status is "True". */
  ready: boolean;
  /** NetworkUnavailable condition status is "True" (absent counts as false). */
  networkUnavailable: boolean;
}

/** An L2Announcement whose ipPools selector already matched the IP's pool. */
export interface AnnouncementFacts {
  name: string;
  /** Precomputed result, or the compiled nodeSelector (an empty selector matches every node). */
  nodeSelector: boolean | LabelMatcher;
}

/** EndpointSlice endpoint, reduced to what matters here (discovery.k8s.io/v1 semantics: nil means unknown). */
export interface EndpointFacts {
  nodeName?: string | null;
  ready?: boolean | null;
  serving?: boolean | null;
  terminating?: boolean | null;
}

/** A Service whose status carries the IP (several may share one IP). */
export interface ServiceFacts {
  namespace: string;
  name: string;
  externalTrafficPolicy: 'Cluster' | 'Local';
  /** Every endpoint of every EndpointSlice of the Service, all nodes. */
  endpoints: readonly EndpointFacts[];
}

/** Everything known about one IP, shared by all nodes evaluated for it. */
export interface IpFacts {
  ip: string;
  announcements: readonly AnnouncementFacts[];
  services: readonly ServiceFacts[];
}

export interface EligibilityInput extends IpFacts {
  node: NodeFacts;
  /** The node's speaker is alive according to membership (heartbeats). */
  speakerAlive: boolean;
}

export type IneligibleReason =
  | 'SpeakerNotAlive'
  | 'NoL2Announcement'
  | 'NodeSelectorMismatch'
  | 'NodeNotReady'
  | 'NodeExcluded'
  | 'NetworkUnavailable'
  | 'NoLocalEndpoints';

export interface Ineligible {
  reason: IneligibleReason;
  message: string;
}
