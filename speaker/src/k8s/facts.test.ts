import type { V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { internalIps, nodeFacts, serviceView } from './facts.js';

function node(ready: string | null, extra: Partial<V1Node['status']> = {}): V1Node {
  return {
    metadata: { name: 'n1', labels: { a: 'b' } },
    status: { conditions: ready === null ? [] : [{ type: 'Ready', status: ready }], ...extra },
  };
}

describe('nodeFacts', () => {
  it('counts Ready=True and Ready=Unknown as ready, Ready=False and a missing condition as not', () => {
    expect(nodeFacts(node('True')).ready).toBe(true);
    expect(nodeFacts(node('Unknown')).ready).toBe(true);
    expect(nodeFacts(node('False')).ready).toBe(false);
    expect(nodeFacts(node(null)).ready).toBe(false);
  });

  it('reads NetworkUnavailable', () => {
    const n = node('True');
    n.status?.conditions?.push({ type: 'NetworkUnavailable', status: 'True' });
    expect(nodeFacts(n).networkUnavailable).toBe(true);
    expect(nodeFacts(node('True')).networkUnavailable).toBe(false);
  });

  it('lists InternalIPs with IPv4 first', () => {
    const n = node('True', {
      addresses: [
        { type: 'InternalIP', address: '2001:db8::11' },
        { type: 'Hostname', address: 'n1' },
        { type: 'InternalIP', address: '192.0.2.11' },
      ],
    });
    expect(internalIps(n)).toEqual(['192.0.2.11', '2001:db8::11']);
  });
});

describe('serviceView', () => {
  const svc = (cls?: string): Parameters<typeof serviceView>[0] => ({
    metadata: { namespace: 'ns', name: 's', uid: 'u1' },
    spec: { type: 'LoadBalancer', loadBalancerClass: cls, externalTrafficPolicy: 'Local' },
    status: { loadBalancer: { ingress: [{ ip: '198.51.100.1' }] } },
  });

  it('takes Services without a class and with the configured class, not others', () => {
    const ctx = { endpoints: [], loadBalancerClass: 'ironlb.io/ironlb' };
    expect(serviceView(svc(), ctx)).toMatchObject({
      ips: ['198.51.100.1'],
      externalTrafficPolicy: 'Local',
      uid: 'u1',
    });
    expect(serviceView(svc('ironlb.io/ironlb'), ctx)).not.toBeNull();
    expect(serviceView(svc('other.example/lb'), ctx)).toBeNull();
    expect(serviceView(svc('ironlb.io/ironlb'), { endpoints: [], loadBalancerClass: undefined })).toBeNull();
  });

  it('skips Services without an IP in status or of another type', () => {
    const ctx = { endpoints: [], loadBalancerClass: undefined };
    const noIp = svc();
    noIp.status = {};
    expect(serviceView(noIp, ctx)).toBeNull();
    const clusterIp = svc();
    clusterIp.spec = { type: 'ClusterIP' };
    expect(serviceView(clusterIp, ctx)).toBeNull();
  });
});
