import { V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { normalizeObject } from './normalize.js';

const raw = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'a', namespace: 'ns', creationTimestamp: '2024-05-01T10:00:00Z' },
  spec: { type: 'LoadBalancer', ports: [{ port: 80, targetPort: 8080 }] },
  status: {
    conditions: [
      { type: 'X', status: 'True', lastTransitionTime: '2024-05-01T10:00:01Z', reason: 'r', message: 'm' },
    ],
  },
};

describe('normalizeObject', () => {
  it('turns a raw watch object into the typed model with Date fields', () => {
    const svc = normalizeObject(structuredClone(raw) as unknown as V1Service, 'V1Service');
    expect(svc).toBeInstanceOf(V1Service);
    expect(svc.metadata?.creationTimestamp).toEqual(new Date('2024-05-01T10:00:00Z'));
    expect(svc.status?.conditions?.[0]?.lastTransitionTime).toBeInstanceOf(Date);
    expect(svc.spec?.ports?.[0]?.targetPort).toBe(8080);
  });

  it('leaves already-typed objects (LIST items) as they are', () => {
    const once = normalizeObject(structuredClone(raw) as unknown as V1Service, 'V1Service');
    expect(normalizeObject(once, 'V1Service')).toBe(once);
  });

  it('passes custom resources through unchanged when no type name is given', () => {
    const cr = { apiVersion: 'ironlb.io/v1alpha1', kind: 'IPPool', metadata: { name: 'p' } };
    expect(normalizeObject(cr, undefined)).toBe(cr);
  });
});
