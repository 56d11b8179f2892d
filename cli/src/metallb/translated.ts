/**
 * The ironlb objects (`ironlb.io/v1alpha1`) the importer writes, limited to the fields it fills.
 * Both kinds are cluster-scoped, so metadata has no namespace.
 *
 * Semantics the translation relies on (stated in the output header too):
 * - IPPool `serviceAllocation.namespaces` and `namespaceSelector` are ORed, as in MetalLB.
 * - An L2Announcement with neither `ipPools` nor `ipPoolSelector` selects every IPPool.
 * - Several L2Announcements that select the same pool add up (union of their nodes and interfaces).
 */
export const IRONLB_API_VERSION = 'ironlb.io/v1alpha1';

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface ObjectMeta {
  name: string;
  labels?: Record<string, string>;
}

export interface ServiceAllocation {
  priority?: number;
  namespaces?: string[];
  namespaceSelector?: LabelSelector;
  serviceSelector?: LabelSelector;
}

export interface IPPool {
  apiVersion: typeof IRONLB_API_VERSION;
  kind: 'IPPool';
  metadata: ObjectMeta;
  spec: {
    addresses: string[];
    autoAssign?: boolean;
    avoidBuggyIPs?: boolean;
    serviceAllocation?: ServiceAllocation;
  };
}

export interface L2Announcement {
  apiVersion: typeof IRONLB_API_VERSION;
  kind: 'L2Announcement';
  metadata: ObjectMeta;
  spec: {
    ipPools?: string[];
    ipPoolSelector?: LabelSelector;
    nodeSelector?: LabelSelector;
    interfaces?: string[];
  };
}

export type IronlbObject = IPPool | L2Announcement;

/** One output object and the comment lines written above it. */
export interface Translated {
  object: IronlbObject;
  comments: string[];
}
