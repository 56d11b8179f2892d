import type { V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { requestOf } from '../../../controller/src/reconciler/service-view.js';
import { servesService } from './served-class.js';

const types = ['LoadBalancer', 'ClusterIP', 'NodePort', undefined];
const classes = [undefined, 'ironlb.io/a', 'ironlb.io/b'];

describe('servesService', () => {
  it('serves LoadBalancer Services without a class or of the configured class', () => {
    expect(servesService({ type: 'LoadBalancer' }, undefined)).toBe(true);
    expect(servesService({ type: 'LoadBalancer' }, 'ironlb.io/a')).toBe(true);
    expect(servesService({ type: 'LoadBalancer', loadBalancerClass: 'ironlb.io/a' }, 'ironlb.io/a')).toBe(
      true,
    );
    expect(servesService({ type: 'LoadBalancer', loadBalancerClass: 'ironlb.io/a' }, undefined)).toBe(false);
    expect(servesService({ type: 'LoadBalancer', loadBalancerClass: 'ironlb.io/b' }, 'ironlb.io/a')).toBe(
      false,
    );
    expect(servesService({ type: 'ClusterIP' }, undefined)).toBe(false);
    expect(servesService(undefined, undefined)).toBe(false);
  });

  it('is the controller rule: the speaker serves exactly the Services the controller allocates', () => {
    for (const type of types)
      for (const loadBalancerClass of classes)
        for (const configured of classes) {
          const svc: V1Service = {
            metadata: { namespace: 'ns', name: 's' },
            spec: {
              ...(type === undefined ? {} : { type }),
              ...(loadBalancerClass === undefined ? {} : { loadBalancerClass }),
              ports: [{ port: 80, protocol: 'TCP' }],
            },
          };
          const controller =
            requestOf(svc, { loadBalancerClass: configured, namespaceLabels: {} }).kind !== 'ignored';
          expect(
            servesService(svc.spec, configured),
            `type ${String(type)}, class ${String(loadBalancerClass)}, --load-balancer-class ${String(configured)}`,
          ).toBe(controller);
        }
  });
});
