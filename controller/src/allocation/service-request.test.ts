import { formatIP } from '@ironlb/shared';
import { describe, expect, it } from 'vitest';
import { type ServiceLike, toAllocationRequest } from './service-request.js';

const CLASS = 'ironlb.io/ironlb';

function svc(spec: ServiceLike['spec'], annotations: Record<string, string> = {}): ServiceLike {
  return { metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' }, annotations }, spec };
}

const lb = {
  type: 'LoadBalancer',
  ports: [{ port: 80 }, { protocol: 'UDP', port: 53 }],
  selector: { app: 'web' },
};

describe('toAllocationRequest', () => {
  it('ignores non-LoadBalancer Services and foreign classes', () => {
    expect(toAllocationRequest(svc({ type: 'ClusterIP' }), { loadBalancerClass: CLASS })).toMatchObject({
      kind: 'ignored',
      reason: 'NotLoadBalancer',
    });
    expect(
      toAllocationRequest(svc({ ...lb, loadBalancerClass: 'other.io/lb' }), { loadBalancerClass: CLASS }),
    ).toEqual({ kind: 'ignored', reason: 'ClassNotOurs', message: 'loadBalancerClass is other.io/lb' });
  });

  it('builds a request with defaults', () => {
    const r = toAllocationRequest(svc({ ...lb, loadBalancerClass: CLASS }), {
      loadBalancerClass: CLASS,
      namespaceLabels: { team: 'a' },
    });
    expect(r).toEqual({
      kind: 'request',
      warnings: [],
      request: {
        namespace: 'shop',
        name: 'web',
        labels: { app: 'web' },
        namespaceLabels: { team: 'a' },
        families: ['IPv4'],
        familyPolicy: 'SingleStack',
        requestedIPs: [],
        pool: undefined,
        sharingKey: '',
        ports: [
          { protocol: 'TCP', port: 80 },
          { protocol: 'UDP', port: 53 },
        ],
        externalTrafficPolicy: 'Cluster',
        selector: { app: 'web' },
      },
    });
  });

  it('reads ironlb annotations and MetalLB aliases, first one wins', () => {
    const r = toAllocationRequest(
      svc(
        {
          ...lb,
          ipFamilyPolicy: 'RequireDualStack',
          ipFamilies: ['IPv6', 'IPv4'],
          externalTrafficPolicy: 'Local',
        },
        {
          'metallb.io/loadBalancerIPs': '198.51.100.7, 2001:db8::7',
          'metallb.universe.tf/address-pool': 'blue',
          'ironlb.io/allow-shared-ip': 'k1',
          'metallb.universe.tf/allow-shared-ip': 'k2',
        },
      ),
      { loadBalancerClass: CLASS },
    );
    expect(r.kind).toBe('request');
    if (r.kind !== 'request') return;
    expect(r.request.requestedIPs.map(formatIP)).toEqual(['198.51.100.7', '2001:db8::7']);
    expect(r.request.pool).toBe('blue');
    expect(r.request.sharingKey).toBe('k1');
    expect(r.request.families).toEqual(['IPv6', 'IPv4']);
    expect(r.request.externalTrafficPolicy).toBe('Local');
    expect(r.warnings).toEqual([
      'annotations ironlb.io/allow-shared-ip and metallb.universe.tf/allow-shared-ip disagree; using ironlb.io/allow-shared-ip',
    ]);
  });

  it('uses spec.loadBalancerIP when no annotation is set', () => {
    const r = toAllocationRequest(svc({ ...lb, loadBalancerIP: '198.51.100.9' }), {
      loadBalancerClass: CLASS,
    });
    expect(r.kind === 'request' && r.request.requestedIPs.map(formatIP)).toEqual(['198.51.100.9']);
  });

  it.each([
    [
      { 'ironlb.io/load-balancer-ips': '198.51.100.300' },
      {},
      "ironlb.io/load-balancer-ips: '198.51.100.300' is not a valid",
    ],
    [
      { 'ironlb.io/load-balancer-ips': '10.0.0.1,10.0.0.2' },
      { ipFamilyPolicy: 'PreferDualStack' },
      'at most one IPv4',
    ],
    [
      { 'ironlb.io/load-balancer-ips': '10.0.0.1,2001:db8::1' },
      {},
      'a SingleStack Service may request only one IP',
    ],
    [
      { 'ironlb.io/load-balancer-ips': '2001:db8::1' },
      { ipFamilies: ['IPv4'] },
      'is IPv6 but spec.ipFamilies is [IPv4]',
    ],
  ])('bad annotations become problems, never throws: %j', (annotations, extra, message) => {
    const r = toAllocationRequest(svc({ ...lb, ...extra }, annotations), { loadBalancerClass: CLASS });
    expect(r.kind).toBe('invalid');
    expect(r.kind === 'invalid' && r.problems.join('\n')).toContain(message);
  });
});
