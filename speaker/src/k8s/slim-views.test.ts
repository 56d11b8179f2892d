import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { slimNode, slimService, slimSlice } from './slim-views.js';

function service(spec: V1Service['spec'], ingress: { ip?: string; hostname?: string }[] = []): V1Service {
  return {
    metadata: {
      namespace: 'ns',
      name: 's',
      uid: 'u1',
      resourceVersion: '7',
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
      managedFields: [{ manager: 'kubectl', operation: 'Apply' }],
    },
    spec,
    status: { loadBalancer: { ingress } },
  };
}

describe('slimService', () => {
  it('keeps only what planning reads of a served Service', () => {
    const svc = service(
      {
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Local',
        ports: [{ port: 80 }],
        selector: { app: 'a' },
      },
      [{ ip: '198.51.100.1' }, { hostname: 'lb.example' }, { ip: '2001:db8::1' }],
    );
    expect(slimService(svc, undefined)).toStrictEqual({
      namespace: 'ns',
      name: 's',
      uid: 'u1',
      ips: ['198.51.100.1', '2001:db8::1'],
      externalTrafficPolicy: 'Local',
    });
  });

  it('keeps a served Service without an IP yet (so its slices are kept), with ETP Cluster by default', () => {
    expect(slimService(service({ type: 'LoadBalancer' }), 'ironlb.io/a')).toStrictEqual({
      namespace: 'ns',
      name: 's',
      uid: 'u1',
      ips: [],
      externalTrafficPolicy: 'Cluster',
    });
  });

  it('is null for a Service of another class or type', () => {
    expect(slimService(service({ type: 'LoadBalancer', loadBalancerClass: 'x.io/b' }), 'x.io/a')).toBeNull();
    expect(slimService(service({ type: 'LoadBalancer', loadBalancerClass: 'x.io/b' }), undefined)).toBeNull();
    expect(slimService(service({ type: 'NodePort' }), undefined)).toBeNull();
  });
});

describe('slimSlice', () => {
  const slice = (labels?: Record<string, string>): V1EndpointSlice => ({
    addressType: 'IPv4',
    metadata: { namespace: 'ns', name: 's-abc', ...(labels ? { labels } : {}) },
    ports: [{ port: 8080 }],
    endpoints: [
      {
        addresses: ['10.0.0.1'],
        nodeName: 'n1',
        conditions: { ready: true, serving: true, terminating: false },
      },
      { addresses: ['10.0.0.2'], conditions: {} },
    ],
  });
  const owned = slice({ 'kubernetes.io/service-name': 's' });

  it('keeps the Service key and endpoint facts while the Service is ours or not seen yet', () => {
    const expected = {
      service: 'ns/s',
      endpoints: [
        { nodeName: 'n1', ready: true, serving: true, terminating: false },
        { nodeName: null, ready: null, serving: null, terminating: null },
      ],
    };
    expect(slimSlice(owned, () => true)).toStrictEqual(expected);
    expect(slimSlice(owned, () => undefined)).toStrictEqual(expected);
  });

  it('drops the endpoints of a Service known not to be ours, asking about the right key', () => {
    const asked: string[] = [];
    const served = (key: string): boolean => {
      asked.push(key);
      return false;
    };
    expect(slimSlice(owned, served)).toStrictEqual({ service: 'ns/s', endpoints: null });
    expect(asked).toEqual(['ns/s']);
  });

  it('is null for a slice that names no Service', () => {
    expect(slimSlice(slice(), () => true)).toBeNull();
  });
});

describe('slimNode', () => {
  it('keeps the node facts and InternalIPs (IPv4 first)', () => {
    const node: V1Node = {
      metadata: { name: 'n1', labels: { zone: 'a' }, managedFields: [{ manager: 'kubelet' }] },
      status: {
        conditions: [
          { type: 'Ready', status: 'True' },
          { type: 'NetworkUnavailable', status: 'False' },
        ],
        addresses: [
          { type: 'InternalIP', address: '2001:db8::11' },
          { type: 'Hostname', address: 'n1' },
          { type: 'InternalIP', address: '192.0.2.11' },
        ],
        images: [{ names: ['registry.example/big:1'], sizeBytes: 1 }],
      },
    };
    expect(slimNode(node)).toStrictEqual({
      facts: { name: 'n1', labels: { zone: 'a' }, ready: true, networkUnavailable: false },
      internalIps: ['192.0.2.11', '2001:db8::11'],
    });
  });
});
