import type { V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { type AllocationRequest, Allocator } from '../allocation/index.js';
import { pool } from '../allocation/testing/builders.js';
import { reclaim } from './reclaim.js';
import { requestOf } from './service-view.js';

function svc(
  name: string,
  o: { created: string; ips: string[]; annotations?: Record<string, string> },
): V1Service {
  return {
    metadata: {
      name,
      namespace: 'ns',
      creationTimestamp: new Date(o.created),
      ...(o.annotations ? { annotations: o.annotations } : {}),
    },
    spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }] },
    status: { loadBalancer: { ingress: o.ips.map((ip) => ({ ip })) } },
  };
}

function requestFor(s: V1Service): AllocationRequest | undefined {
  const r = requestOf(s, { loadBalancerClass: undefined, namespaceLabels: {} });
  return r.kind === 'request' ? r.request : undefined;
}

describe('reclaim', () => {
  it('keeps every valid claim, and on a conflict the oldest Service wins regardless of list order', () => {
    const a = new Allocator();
    a.setPools([pool('p', { addresses: ['198.51.100.0/29'] })]);
    const services = [
      svc('young', { created: '2026-01-02T00:00:00Z', ips: ['198.51.100.3'] }),
      svc('old', { created: '2026-01-01T00:00:00Z', ips: ['198.51.100.3'] }),
      svc('other', { created: '2026-01-03T00:00:00Z', ips: ['198.51.100.5'] }),
      svc('gone', { created: '2026-01-03T00:00:00Z', ips: ['203.0.113.9'] }),
    ];
    const r = reclaim({ allocator: a, services, requestFor });
    expect(r.kept).toBe(2);
    expect([...r.lost.keys()].sort()).toEqual(['ns/gone', 'ns/young']);
    expect(r.lost.get('ns/young')).toContain(
      '198.51.100.3 could not be kept: requested IP 198.51.100.3 is held by ns/old',
    );
    expect(r.lost.get('ns/gone')).toContain(
      '203.0.113.9 could not be kept: requested IP 203.0.113.9 is not in any IPPool',
    );
    expect(a.assignmentOf('ns/old')?.ips.length).toBe(1);
    expect(a.assignmentOf('ns/young')).toBeUndefined();
  });
});
