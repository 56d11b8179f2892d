import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import type { EndpointFacts, NodeFacts } from '../eligibility/index.js';
import { endpointFacts, internalIps, nodeFacts, sliceServiceKey } from './facts.js';
import { servesService } from './served-class.js';

/**
 * What the speaker's caches keep of each object: only the fields eligibility, election and planning read,
 * copied out on arrival so the decoded object (managedFields, ports, Dates, ...) becomes garbage at once.
 */

/** A Service this speaker serves. */
export interface SlimService {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string | undefined;
  /** status.loadBalancer.ingress[].ip; empty until the controller assigns one. */
  readonly ips: readonly string[];
  readonly externalTrafficPolicy: 'Cluster' | 'Local';
}

/**
 * The Service as cached, or null when this speaker does not serve it (`servesService`): a null entry marks
 * the Service as known and not ours, which is what lets `slimSlice` drop its EndpointSlices.
 */
export function slimService(svc: V1Service, loadBalancerClass: string | undefined): SlimService | null {
  if (!servesService(svc.spec, loadBalancerClass)) return null;
  return {
    namespace: svc.metadata?.namespace ?? '',
    name: svc.metadata?.name ?? '',
    uid: svc.metadata?.uid,
    ips: (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : [])),
    externalTrafficPolicy: svc.spec?.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster',
  };
}

/** An EndpointSlice reduced to its Service ("namespace/name") and its endpoints. */
export interface SlimSlice {
  readonly service: string;
  /** null: dropped on arrival because its Service was known not to be ours then. */
  readonly endpoints: readonly EndpointFacts[] | null;
}

/**
 * The slice as cached, or null when it names no Service. `served(key)` is what the Service cache knows at
 * arrival: true (ours), false (known, not ours: endpoints dropped) or undefined (not seen yet: kept, so a slice
 * that arrives before its Service loses nothing).
 */
export function slimSlice(
  slice: V1EndpointSlice,
  served: (serviceKey: string) => boolean | undefined,
): SlimSlice | null {
  const service = sliceServiceKey(slice);
  if (service === null) return null;
  return { service, endpoints: served(service) === false ? null : endpointFacts(slice) };
}

/** A Node as the planner and membership read it. */
export interface SlimNode {
  readonly facts: NodeFacts;
  /** InternalIPs, IPv4 first. */
  readonly internalIps: readonly string[];
}

export function slimNode(node: V1Node): SlimNode {
  return { facts: nodeFacts(node), internalIps: internalIps(node) };
}
