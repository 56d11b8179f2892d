/**
 * Wire types of the `ironlb.io/v1alpha1` API as stored by the API server (see docs/api.md and
 * charts/ironlb/crds/). Parsed, validated forms live in shared/src/config/.
 */
export const API_GROUP = 'ironlb.io';
export const API_VERSION = 'v1alpha1';
export const API_GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;

export const IPPOOL_KIND = 'IPPool';
export const IPPOOL_PLURAL = 'ippools';
export const L2_ANNOUNCEMENT_KIND = 'L2Announcement';
export const L2_ANNOUNCEMENT_PLURAL = 'l2announcements';

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelSelectorRequirement {
  key: string;
  operator: SelectorOperator;
  values?: string[];
}

/** Standard metav1.LabelSelector: all terms are ANDed; `{}` matches everything. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface ObjectMetaLike {
  name?: string;
  namespace?: string;
  uid?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface IPPoolSpec {
  addresses: string[];
  autoAssign?: boolean;
  avoidBuggyIPs?: boolean;
  serviceAllocation?: {
    priority?: number;
    namespaces?: string[];
    namespaceSelector?: LabelSelector;
    serviceSelector?: LabelSelector;
  };
}

/** Counts are decimal strings: an IPv6 /64 alone holds 2^64 addresses, more than int64. */
export interface FamilyCounts {
  ipv4: string;
  ipv6: string;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

export interface IPPoolStatus {
  capacity?: FamilyCounts;
  assigned?: FamilyCounts;
  available?: FamilyCounts;
  conditions?: Condition[];
  /**
   * The spec the controller uses: the current one when valid, else the last valid one. Written by the
   * controller so that a restarted controller or speaker keeps using it while the spec is invalid.
   */
  lastValidSpec?: IPPoolSpec;
  /** metadata.generation of the object when lastValidSpec was its spec. */
  lastValidGeneration?: number;
}

export interface IPPool {
  apiVersion: typeof API_GROUP_VERSION;
  kind: typeof IPPOOL_KIND;
  metadata: ObjectMetaLike;
  spec: IPPoolSpec;
  status?: IPPoolStatus;
}

export interface L2AnnouncementSpec {
  ipPools?: string[];
  ipPoolSelector?: LabelSelector;
  nodeSelector?: LabelSelector;
  interfaces?: string[];
}

export interface L2Announcement {
  apiVersion: typeof API_GROUP_VERSION;
  kind: typeof L2_ANNOUNCEMENT_KIND;
  metadata: ObjectMetaLike;
  spec: L2AnnouncementSpec;
}
