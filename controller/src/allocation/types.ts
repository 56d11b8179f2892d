import type { IPAddress, IPFamily } from '@ironlb/shared';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface ServicePort {
  readonly protocol: Protocol;
  readonly port: number;
}

export type IPFamilyPolicy = 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';

/**
 * What a Service asks of the allocator, already validated by the Service adapter.
 * Invariant: requestedIPs holds at most one address per family.
 */
export interface AllocationRequest {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly namespaceLabels: Readonly<Record<string, string>>;
  /** Families in preference order (spec.ipFamilies, else inferred); never empty. */
  readonly families: readonly IPFamily[];
  readonly familyPolicy: IPFamilyPolicy;
  readonly requestedIPs: readonly IPAddress[];
  /** Explicit pool (annotation); only this pool may serve. */
  readonly pool: string | undefined;
  /** Sharing key; '' = never share. */
  readonly sharingKey: string;
  readonly ports: readonly ServicePort[];
  readonly externalTrafficPolicy: 'Cluster' | 'Local';
  readonly selector: Readonly<Record<string, string>>;
}

/** IPs held by one Service, at most one per family, IPv4 first. */
export interface Assignment {
  readonly ips: readonly IPAddress[];
}

export interface InvalidatedAssignment {
  readonly serviceKey: string;
  /** The addresses that were taken away (the Service keeps its other addresses). */
  readonly released: readonly IPAddress[];
  readonly why: string;
}

export interface FamilyStats {
  readonly capacity: bigint;
  readonly assigned: bigint;
  readonly available: bigint;
}

export interface PoolStats {
  readonly ipv4: FamilyStats;
  readonly ipv6: FamilyStats;
}
