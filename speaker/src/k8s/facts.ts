import { familyOfValidIP } from '@ironlb/shared';
import type { V1EndpointSlice, V1Node } from '@kubernetes/client-node';
import type { EndpointFacts, NodeFacts } from '../eligibility/index.js';

/** Kubernetes objects → the plain facts the pure planner takes. */

export function endpointFacts(slice: V1EndpointSlice): EndpointFacts[] {
  return (slice.endpoints ?? []).map((e) => ({
    nodeName: e.nodeName ?? null,
    ready: e.conditions?.ready ?? null,
    serving: e.conditions?.serving ?? null,
    terminating: e.conditions?.terminating ?? null,
  }));
}

/** The Service an EndpointSlice belongs to, as "namespace/name". */
export function sliceServiceKey(slice: V1EndpointSlice): string | null {
  const name = slice.metadata?.labels?.['kubernetes.io/service-name'];
  return name ? `${slice.metadata?.namespace ?? ''}/${name}` : null;
}

/**
 * Ready=Unknown means the node controller stopped hearing from the kubelet, which is also what every node
 * looks like right after an API server outage. The speaker's own heartbeats are the better liveness signal
 * there, so Unknown counts as ready (the SpeakerNotAlive check still applies); only an explicit Ready=False
 * (or no Ready condition at all) makes a node ineligible.
 */
export function nodeFacts(node: V1Node): NodeFacts {
  const conditions = node.status?.conditions ?? [];
  const status = (type: string): string | undefined => conditions.find((c) => c.type === type)?.status;
  return {
    name: node.metadata?.name ?? '',
    labels: node.metadata?.labels ?? {},
    ready: status('Ready') === 'True' || status('Ready') === 'Unknown',
    networkUnavailable: status('NetworkUnavailable') === 'True',
  };
}

/** InternalIPs of a node (IPv4 first), used to address heartbeats and pick the default interface. */
export function internalIps(node: V1Node): string[] {
  const ips = (node.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address);
  const v6 = (ip: string): number => (familyOfValidIP(ip) === 'IPv6' ? 1 : 0);
  return ips.sort((a, b) => v6(a) - v6(b));
}
