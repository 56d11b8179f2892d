import {
  ALLOW_SHARED_IP_ANNOTATIONS,
  type IPAddress,
  type IPFamily,
  IP_POOL_ANNOTATIONS,
  LOAD_BALANCER_IPS_ANNOTATIONS,
  formatIP,
  parseIP,
} from '@ironlb/shared';
import type { AllocationRequest, IPFamilyPolicy, Protocol, ServicePort } from './types.js';

/** The parts of a core/v1 Service the allocator looks at (plain data, no client types). */
export interface ServiceLike {
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly spec?: {
    readonly type?: string;
    readonly loadBalancerClass?: string;
    readonly loadBalancerIP?: string;
    readonly ports?: readonly { readonly protocol?: string; readonly port: number }[];
    readonly externalTrafficPolicy?: string;
    readonly selector?: Readonly<Record<string, string>>;
    readonly ipFamilyPolicy?: string;
    readonly ipFamilies?: readonly string[];
  };
}

export type ServiceRequestResult =
  | {
      readonly kind: 'ignored';
      readonly reason: 'NotLoadBalancer' | 'ClassNotOurs';
      readonly message: string;
    }
  | { readonly kind: 'invalid'; readonly problems: readonly string[]; readonly warnings: readonly string[] }
  | { readonly kind: 'request'; readonly request: AllocationRequest; readonly warnings: readonly string[] };

interface Notes {
  readonly problems: string[];
  readonly warnings: string[];
}

/** First annotation of an alias list that is set; warns when aliases disagree. */
function annotation(
  annotations: Readonly<Record<string, string>>,
  opts: { names: readonly string[]; notes: Notes },
): { name: string; value: string } | undefined {
  const set = opts.names.filter((n) => annotations[n] !== undefined);
  const first = set[0];
  if (first === undefined) return undefined;
  const value = annotations[first] ?? '';
  for (const other of set.slice(1)) {
    if (annotations[other] !== value)
      opts.notes.warnings.push(`annotations ${first} and ${other} disagree; using ${first}`);
  }
  return { name: first, value: value.trim() };
}

function requestedIPs(svc: ServiceLike, notes: Notes): IPAddress[] {
  const ann = annotation(svc.metadata.annotations ?? {}, { names: LOAD_BALANCER_IPS_ANNOTATIONS, notes });
  const legacy = svc.spec?.loadBalancerIP ?? '';
  const source = ann?.name ?? 'spec.loadBalancerIP';
  const text = ann?.value ?? legacy;
  if (ann !== undefined && legacy !== '')
    notes.warnings.push(`spec.loadBalancerIP is ignored because ${ann.name} is set`);
  const ips: IPAddress[] = [];
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const ip = parseIP(part);
    if (ip === undefined) notes.problems.push(`${source}: '${part}' is not a valid IPv4 or IPv6 address`);
    else if (ips.some((o) => o.family === ip.family)) {
      notes.problems.push(
        `${source}: at most one ${ip.family} address may be requested (got ${formatIP(ip)} too)`,
      );
    } else ips.push(ip);
  }
  return ips;
}

const PROTOCOLS: readonly string[] = ['TCP', 'UDP', 'SCTP'];

function ports(svc: ServiceLike, notes: Notes): ServicePort[] {
  const out: ServicePort[] = [];
  for (const p of svc.spec?.ports ?? []) {
    const protocol = p.protocol ?? 'TCP';
    if (PROTOCOLS.includes(protocol)) out.push({ protocol: protocol as Protocol, port: p.port });
    else notes.problems.push(`spec.ports: unknown protocol '${protocol}'`);
  }
  return out;
}

function familyPolicy(svc: ServiceLike, notes: Notes): IPFamilyPolicy {
  const raw = svc.spec?.ipFamilyPolicy ?? 'SingleStack';
  if (raw === 'PreferDualStack' || raw === 'RequireDualStack' || raw === 'SingleStack') return raw;
  notes.warnings.push(`spec.ipFamilyPolicy '${raw}' is unknown; using SingleStack`);
  return 'SingleStack';
}

function families(
  svc: ServiceLike,
  requested: readonly IPAddress[],
  notes: Notes,
): { families: IPFamily[]; policy: IPFamilyPolicy } {
  const policy = familyPolicy(svc, notes);
  const declared = (svc.spec?.ipFamilies ?? []).filter((f): f is IPFamily => f === 'IPv4' || f === 'IPv6');
  const fams: IPFamily[] = declared.length > 0 ? declared : requested.map((ip) => ip.family);
  if (fams.length === 0) fams.push('IPv4');
  for (const ip of requested) {
    if (declared.length > 0 && !declared.includes(ip.family)) {
      notes.problems.push(
        `requested IP ${formatIP(ip)} is ${ip.family} but spec.ipFamilies is [${declared.join(', ')}]`,
      );
    }
  }
  if (policy === 'SingleStack' && requested.length > 1) {
    notes.problems.push('a SingleStack Service may request only one IP');
  }
  return { families: fams, policy };
}

function buildRequest(
  svc: ServiceLike,
  opts: { notes: Notes; namespaceLabels: Readonly<Record<string, string>> },
): AllocationRequest {
  const { notes } = opts;
  const annotations = svc.metadata.annotations ?? {};
  const ips = requestedIPs(svc, notes);
  const pool = annotation(annotations, { names: IP_POOL_ANNOTATIONS, notes });
  if (pool?.value === '') notes.warnings.push(`${pool.name} is empty and ignored`);
  const sharing = annotation(annotations, { names: ALLOW_SHARED_IP_ANNOTATIONS, notes });
  const fam = families(svc, ips, notes);
  return {
    namespace: svc.metadata.namespace,
    name: svc.metadata.name,
    labels: svc.metadata.labels ?? {},
    namespaceLabels: opts.namespaceLabels,
    families: fam.families,
    familyPolicy: fam.policy,
    requestedIPs: ips,
    pool: pool?.value === '' ? undefined : pool?.value,
    sharingKey: sharing?.value ?? '',
    ports: ports(svc, notes),
    externalTrafficPolicy: svc.spec?.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster',
    selector: svc.spec?.selector ?? {},
  };
}

/**
 * Turns a Service into an allocation request. Handles only `type: LoadBalancer` with
 * spec.loadBalancerClass unset or equal to ours. Annotation problems come back as values
 * (`invalid` blocks allocation, warnings do not); this never throws.
 * Annotation precedence: ironlb.io/… then metallb.io/… then metallb.universe.tf/….
 */
export function toAllocationRequest(
  svc: ServiceLike,
  opts: { loadBalancerClass: string; namespaceLabels?: Readonly<Record<string, string>> },
): ServiceRequestResult {
  const spec = svc.spec ?? {};
  if (spec.type !== 'LoadBalancer') {
    return { kind: 'ignored', reason: 'NotLoadBalancer', message: `type is ${spec.type ?? 'ClusterIP'}` };
  }
  if (spec.loadBalancerClass !== undefined && spec.loadBalancerClass !== opts.loadBalancerClass) {
    return {
      kind: 'ignored',
      reason: 'ClassNotOurs',
      message: `loadBalancerClass is ${spec.loadBalancerClass}`,
    };
  }
  const notes: Notes = { problems: [], warnings: [] };
  const request = buildRequest(svc, { notes, namespaceLabels: opts.namespaceLabels ?? {} });
  if (notes.problems.length > 0)
    return { kind: 'invalid', problems: notes.problems, warnings: notes.warnings };
  return { kind: 'request', request, warnings: notes.warnings };
}
