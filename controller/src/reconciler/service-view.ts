import type { V1ObjectReference, V1Service } from '@kubernetes/client-node';
import { LOAD_BALANCER_IPS_ANNOTATIONS, formatIP, parseIP } from '@ironlb/shared';
import { timestampMs } from '@ironlb/shared/kube';
import {
  type AllocationRequest,
  type ServiceLike,
  type ServiceRequestResult,
  toAllocationRequest,
} from '../allocation/index.js';

/** A client-node Service as the allocator's plain ServiceLike. */
function serviceLike(svc: V1Service): ServiceLike {
  const m = svc.metadata;
  return {
    metadata: {
      name: m?.name ?? '',
      namespace: m?.namespace ?? '',
      ...(m?.labels ? { labels: m.labels } : {}),
      ...(m?.annotations ? { annotations: m.annotations } : {}),
    },
    ...(svc.spec ? { spec: svc.spec } : {}),
  };
}

/**
 * Whose Service is it, and what does it ask for. `loadBalancerClass` undefined: only Services
 * without a class are ours; a Service naming any other class is ignored (ClassNotOurs).
 */
export function requestOf(
  svc: V1Service,
  opts: { loadBalancerClass: string | undefined; namespaceLabels: Readonly<Record<string, string>> },
): ServiceRequestResult {
  return requestOfLike(serviceLike(svc), opts);
}

function requestOfLike(
  like: ServiceLike,
  opts: { loadBalancerClass: string | undefined; namespaceLabels: Readonly<Record<string, string>> },
): ServiceRequestResult {
  const cls = like.spec?.loadBalancerClass;
  if (like.spec?.type === 'LoadBalancer' && cls !== undefined && cls !== opts.loadBalancerClass) {
    return { kind: 'ignored', reason: 'ClassNotOurs', message: `loadBalancerClass is ${cls}` };
  }
  return toAllocationRequest(like, {
    loadBalancerClass: opts.loadBalancerClass ?? '',
    namespaceLabels: opts.namespaceLabels,
  });
}

/**
 * The request used to keep (not choose) addresses of a Service whose annotations are invalid:
 * the IP request fields and unknown-protocol ports are dropped, so its status IPs stay reserved
 * and are never handed to another Service while the user fixes the annotation.
 */
export function holdRequest(
  svc: V1Service,
  opts: { loadBalancerClass: string | undefined; namespaceLabels: Readonly<Record<string, string>> },
): AllocationRequest | undefined {
  const like = serviceLike(svc);
  const skip: readonly string[] = LOAD_BALANCER_IPS_ANNOTATIONS;
  const annotations = Object.fromEntries(
    Object.entries(like.metadata.annotations ?? {}).filter(([k]) => !skip.includes(k)),
  );
  const spec = like.spec ?? {};
  const stripped: ServiceLike = {
    metadata: { ...like.metadata, annotations },
    spec: {
      ...(spec.type === undefined ? {} : { type: spec.type }),
      ...(spec.loadBalancerClass === undefined ? {} : { loadBalancerClass: spec.loadBalancerClass }),
      ...(spec.externalTrafficPolicy === undefined
        ? {}
        : { externalTrafficPolicy: spec.externalTrafficPolicy }),
      ...(spec.selector === undefined ? {} : { selector: spec.selector }),
      ...(spec.ipFamilyPolicy === undefined ? {} : { ipFamilyPolicy: spec.ipFamilyPolicy }),
      ...(spec.ipFamilies === undefined ? {} : { ipFamilies: spec.ipFamilies }),
      ports: (spec.ports ?? []).filter((p) => ['TCP', 'UDP', 'SCTP'].includes(p.protocol ?? 'TCP')),
    },
  };
  const r = requestOfLike(stripped, opts);
  return r.kind === 'request' ? r.request : undefined;
}

/** Canonical text of the IPs in status.loadBalancer.ingress (unparseable entries kept verbatim). */
export function statusIPs(svc: V1Service): string[] {
  const out: string[] = [];
  for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
    if (ing.ip === undefined || ing.ip === '') continue;
    const ip = parseIP(ing.ip);
    out.push(ip === undefined ? ing.ip : formatIP(ip));
  }
  return out;
}

export function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Event target: `kubectl describe svc` matches events by uid too. */
export function regardingOf(svc: V1Service): V1ObjectReference {
  return {
    kind: 'Service',
    apiVersion: 'v1',
    namespace: svc.metadata?.namespace ?? '',
    name: svc.metadata?.name ?? '',
    uid: svc.metadata?.uid ?? '',
    resourceVersion: svc.metadata?.resourceVersion ?? '',
  };
}

/** Oldest first (creationTimestamp, then namespace/name): the order in which claims are honoured. */
export function compareAge(a: V1Service, b: V1Service): number {
  // The client returns RFC 3339 text, whatever the model type says (Date): timestampMs reads both.
  const ta = timestampMs(a.metadata?.creationTimestamp) ?? 0;
  const tb = timestampMs(b.metadata?.creationTimestamp) ?? 0;
  if (ta !== tb) return ta - tb;
  const ka = keyOf(a);
  const kb = keyOf(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function keyOf(s: V1Service): string {
  return `${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`;
}
