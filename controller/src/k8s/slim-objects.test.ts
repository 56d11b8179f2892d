import type { V1Namespace, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { compareAge, holdRequest, regardingOf, requestOf, statusIPs } from '../reconciler/service-view.js';
import { slimNamespace, slimService } from './slim-objects.js';

/** A Service as the API server sends it (kubectl apply, then the controller wrote status and annotation). */
function whole(over: { annotations?: Record<string, string>; spec?: V1Service['spec'] } = {}): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'web',
      namespace: 'shop',
      uid: '5f0c',
      resourceVersion: '4711',
      generation: 1,
      creationTimestamp: new Date('2026-11-30T10:00:00Z'),
      labels: { app: 'web' },
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ big: 'x'.repeat(2000) }),
        'ironlb.io/allocated-from-pool': 'default',
        'ironlb.io/allow-shared-ip': 'k1',
        'metallb.io/loadBalancerIPs': '192.0.2.10',
        ...over.annotations,
      },
      managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: {} }],
    },
    spec: over.spec ?? {
      type: 'LoadBalancer',
      loadBalancerClass: 'ironlb.io/x',
      externalTrafficPolicy: 'Local',
      selector: { app: 'web' },
      ipFamilyPolicy: 'PreferDualStack',
      ipFamilies: ['IPv4', 'IPv6'],
      clusterIP: '10.96.0.10',
      clusterIPs: ['10.96.0.10', 'fd00::10'],
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      allocateLoadBalancerNodePorts: true,
      ports: [
        { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, nodePort: 30080 },
        { name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 },
      ],
    },
    status: {
      loadBalancer: { ingress: [{ ip: '192.0.2.10', ipMode: 'VIP' }, { hostname: 'lb.example' }] },
      conditions: [],
    },
  };
}

const ctx = { loadBalancerClass: 'ironlb.io/x', namespaceLabels: { team: 'a' } };

describe('slimService', () => {
  const cases: [string, V1Service][] = [
    ['a served dual-stack Service', whole()],
    ['an invalid IP annotation', whole({ annotations: { 'ironlb.io/load-balancer-ips': '192.0.2.999' } })],
    ['another class', whole({ spec: { type: 'LoadBalancer', loadBalancerClass: 'other.io/lb', ports: [] } })],
    [
      'spec.loadBalancerIP and an unknown protocol',
      whole({
        spec: { type: 'LoadBalancer', loadBalancerIP: '192.0.2.20', ports: [{ port: 1, protocol: 'XYZ' }] },
      }),
    ],
    ['a ClusterIP Service', whole({ spec: { type: 'ClusterIP', clusterIP: '10.96.0.11' } })],
  ];

  it.each(cases)('gives the reconciler the same answers as the whole object: %s', (_name, svc) => {
    const slim = slimService(svc);
    expect(requestOf(slim, ctx)).toStrictEqual(requestOf(svc, ctx));
    expect(holdRequest(slim, ctx)).toStrictEqual(holdRequest(svc, ctx));
    expect(statusIPs(slim)).toStrictEqual(statusIPs(svc));
    expect(regardingOf(slim)).toStrictEqual(regardingOf(svc));
    expect(slim.metadata?.annotations?.['ironlb.io/allocated-from-pool']).toBe(
      svc.metadata?.annotations?.['ironlb.io/allocated-from-pool'],
    );
  });

  it('orders by age like the whole objects', () => {
    const older = whole();
    const newer = whole();
    const meta = newer.metadata ?? {};
    meta.name = 'api';
    meta.creationTimestamp = new Date('2026-11-30T11:00:00Z');
    expect(compareAge(slimService(older), slimService(newer))).toBe(compareAge(older, newer));
    expect(Math.sign(compareAge(slimService(newer), slimService(older)))).toBe(1);
  });

  it('drops what the reconciler never reads', () => {
    const slim = slimService(whole());
    expect(slim.metadata?.managedFields).toBeUndefined();
    expect(Object.keys(slim.metadata?.annotations ?? {}).sort()).toEqual([
      'ironlb.io/allocated-from-pool',
      'ironlb.io/allow-shared-ip',
      'metallb.io/loadBalancerIPs',
    ]);
    expect(slim.spec?.clusterIPs).toBeUndefined();
    expect(slim.spec?.ports).toEqual([
      { port: 80, protocol: 'TCP' },
      { port: 53, protocol: 'UDP' },
    ]);
    expect(JSON.stringify(slim).length).toBeLessThan(JSON.stringify(whole()).length / 4);
  });

  it('keeps a Service without spec or status as such', () => {
    expect(slimService({ metadata: { name: 'a', namespace: 'b' } })).toStrictEqual({
      metadata: { name: 'a', namespace: 'b' },
    });
  });
});

describe('slimNamespace', () => {
  it('keeps the name and labels', () => {
    const ns: V1Namespace = {
      metadata: { name: 'shop', labels: { team: 'a' }, uid: 'u', managedFields: [{ manager: 'kubectl' }] },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    };
    expect(slimNamespace(ns)).toStrictEqual({ metadata: { name: 'shop', labels: { team: 'a' } } });
  });
});
