/** Service annotations understood by ironlb. The first name of each list wins when several are set. */
export const LOAD_BALANCER_IPS_ANNOTATIONS = [
  'ironlb.io/load-balancer-ips',
  'metallb.io/loadBalancerIPs',
  'metallb.universe.tf/loadBalancerIPs',
] as const;

export const IP_POOL_ANNOTATIONS = [
  'ironlb.io/ip-pool',
  'metallb.io/address-pool',
  'metallb.universe.tf/address-pool',
] as const;

export const ALLOW_SHARED_IP_ANNOTATIONS = [
  'ironlb.io/allow-shared-ip',
  'metallb.io/allow-shared-ip',
  'metallb.universe.tf/allow-shared-ip',
] as const;

/**
 * Written by the controller on every Service it serves: the IPPool(s) its addresses came from, in
 * address order, comma-separated (dual-stack Services may draw from two pools). Informational:
 * status.loadBalancer.ingress stays the source of truth.
 */
export const ALLOCATED_FROM_POOL_ANNOTATION = 'ironlb.io/allocated-from-pool';

/** Event reasons emitted by the controller on Services. */
export const EVENT_REASONS = {
  ipAllocated: 'IPAllocated',
  allocationFailed: 'AllocationFailed',
  ipReassigned: 'IPReassigned',
  invalidAnnotation: 'InvalidAnnotation',
  notAnnounced: 'NotAnnounced',
} as const;
