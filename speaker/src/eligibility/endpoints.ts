import type { EndpointFacts, ServiceFacts } from './types.js';

/**
 * Which nodes can serve a Service with externalTrafficPolicy Local.
 *
 * Choice (mirrors kube-proxy with ProxyTerminatingEndpoints, GA since Kubernetes 1.28):
 *  - an endpoint is ready when conditions.ready !== false (nil means unknown and is read as ready, as the
 *    EndpointSlice API asks consumers to do); terminating endpoints always have ready=false;
 *  - a node qualifies if it has a ready endpoint of the Service;
 *  - only when the Service has no ready endpoint anywhere, a node with a serving (serving === true),
 *    terminating endpoint qualifies too: kube-proxy would still deliver there, and moving the IP to a node
 *    without any endpoint would drop the connections that are draining.
 * So during a rolling update the IP follows the ready pods and never stays on a node that only drains.
 */
function isReadyEndpoint(e: EndpointFacts): boolean {
  return e.ready !== false;
}

function isServingTerminating(e: EndpointFacts): boolean {
  return e.ready === false && e.serving === true && e.terminating === true;
}

export function serviceHasLocalEndpoint(service: ServiceFacts, node: string): boolean {
  const local = service.endpoints.filter((e) => e.nodeName === node);
  if (local.some(isReadyEndpoint)) return true;
  if (service.endpoints.some(isReadyEndpoint)) return false;
  return local.some(isServingTerminating);
}
