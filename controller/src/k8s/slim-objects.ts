import type { V1Namespace, V1Service, V1ServicePort } from '@kubernetes/client-node';

/**
 * What the controller's caches keep of each object: a Service or Namespace of the same type with only the fields
 * the reconciler reads (allocation request, status and pool annotation, event target, claim order), copied out on
 * arrival so the decoded object (managedFields, last-applied-configuration, cluster IPs, ...) becomes garbage at
 * once. Writes never start from a cached object: status and annotation writes are merge patches built from
 * namespace, name and resourceVersion alone (service-writer.ts).
 *
 * Invariant: every reconciler function gives the same answer for the slim copy as for the whole object
 * (slim-objects.test.ts checks this on real shapes).
 */

/** Annotation prefixes the allocator reads (ironlb.io/…, metallb.io/…, metallb.universe.tf/…). */
const KEPT_ANNOTATION_PREFIXES = ['ironlb.io/', 'metallb.io/', 'metallb.universe.tf/'];

function keptAnnotations(all: Record<string, string> | undefined): Record<string, string> | undefined {
  if (all === undefined) return undefined;
  const kept = Object.entries(all).filter(([k]) => KEPT_ANNOTATION_PREFIXES.some((p) => k.startsWith(p)));
  return kept.length === 0 ? undefined : Object.fromEntries(kept);
}

/** Assigns only the defined values, so the copy has no `key: undefined` the original did not have. */
function defined<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function slimService(svc: V1Service): V1Service {
  const m = svc.metadata;
  const spec = svc.spec;
  const ingress = svc.status?.loadBalancer?.ingress;
  return {
    metadata: defined({
      name: m?.name,
      namespace: m?.namespace,
      uid: m?.uid,
      resourceVersion: m?.resourceVersion,
      creationTimestamp: m?.creationTimestamp,
      labels: m?.labels,
      annotations: keptAnnotations(m?.annotations),
    }),
    ...(spec === undefined
      ? {}
      : {
          spec: defined({
            type: spec.type,
            loadBalancerClass: spec.loadBalancerClass,
            loadBalancerIP: spec.loadBalancerIP,
            externalTrafficPolicy: spec.externalTrafficPolicy,
            selector: spec.selector,
            ipFamilyPolicy: spec.ipFamilyPolicy,
            ipFamilies: spec.ipFamilies,
            ports: spec.ports?.map(
              (p): V1ServicePort => defined({ port: p.port, protocol: p.protocol }) as V1ServicePort,
            ),
          }),
        }),
    ...(ingress === undefined
      ? {}
      : { status: { loadBalancer: { ingress: ingress.map((i) => defined({ ip: i.ip })) } } }),
  };
}

/** A Namespace as the reconciler reads it: its name and labels (pool namespace selectors). */
export function slimNamespace(ns: V1Namespace): V1Namespace {
  return { metadata: defined({ name: ns.metadata?.name, labels: ns.metadata?.labels }) };
}
