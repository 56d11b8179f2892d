import type { V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { holdRequest, requestOf, statusIPs } from './service-view.js';

function svc(spec: V1Service['spec'], annotations?: Record<string, string>): V1Service {
  return { metadata: { name: 's', namespace: 'ns', ...(annotations ? { annotations } : {}) }, spec };
}

const lb = { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }] };
const kind = (s: V1Service, cls?: string): string =>
  requestOf(s, { loadBalancerClass: cls, namespaceLabels: {} }).kind;

describe('requestOf: whose Service is it', () => {
  it('default (no --load-balancer-class): only Services without a class', () => {
    expect(kind(svc(lb))).toBe('request');
    expect(kind(svc({ ...lb, loadBalancerClass: 'ironlb.io/ironlb' }))).toBe('ignored');
    expect(kind(svc({ ...lb, type: 'ClusterIP' }))).toBe('ignored');
  });

  it('with a class: unset or that class', () => {
    expect(kind(svc(lb), 'x.io/a')).toBe('request');
    expect(kind(svc({ ...lb, loadBalancerClass: 'x.io/a' }), 'x.io/a')).toBe('request');
    expect(kind(svc({ ...lb, loadBalancerClass: 'x.io/b' }), 'x.io/a')).toBe('ignored');
  });

  it('an invalid IP request is invalid, but its status IPs can still be held', () => {
    const bad = svc(lb, { 'ironlb.io/load-balancer-ips': '1.2.3.999' });
    expect(kind(bad)).toBe('invalid');
    expect(holdRequest(bad, { loadBalancerClass: undefined, namespaceLabels: {} })).toMatchObject({
      namespace: 'ns',
      requestedIPs: [],
    });
  });

  it('reads status IPs canonically', () => {
    const s: V1Service = {
      metadata: { name: 's', namespace: 'ns' },
      spec: lb,
      status: { loadBalancer: { ingress: [{ ip: '2001:DB8::0:1' }, { hostname: 'h' }] } },
    };
    expect(statusIPs(s)).toEqual(['2001:db8::1']);
  });
});
