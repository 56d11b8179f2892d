import { type IPPoolConfig, formatIP, parseIP, parseIPPool } from '@ironlb/shared';
import type { IPAddress } from '@ironlb/shared';
import type { AllocationRequest, Assignment } from '../types.js';

/** Test-only builders (a testing/ folder: excluded from the build, imported only by tests). */
export function pool(
  name: string,
  spec: Record<string, unknown>,
  created = '2026-01-01T00:00:00Z',
): IPPoolConfig {
  const r = parseIPPool({ metadata: { name, creationTimestamp: created }, spec });
  if (!r.ok) throw new Error(r.error.join('; '));
  return r.value;
}

export function ip(text: string): IPAddress {
  const a = parseIP(text);
  if (a === undefined) throw new Error(`bad ip ${text}`);
  return a;
}

export function req(key: string, over: Partial<AllocationRequest> = {}): AllocationRequest {
  const [namespace = 'default', name = key] = key.includes('/') ? key.split('/') : ['default', key];
  return {
    namespace,
    name,
    labels: {},
    namespaceLabels: {},
    families: ['IPv4'],
    familyPolicy: 'SingleStack',
    requestedIPs: [],
    pool: undefined,
    sharingKey: '',
    ports: [{ protocol: 'TCP', port: 80 }],
    externalTrafficPolicy: 'Cluster',
    selector: { app: name },
    ...over,
  };
}

export function texts(a: Assignment | undefined): string[] {
  return (a?.ips ?? []).map(formatIP);
}
