/* eslint-disable @typescript-eslint/require-await -- fakes keep the async signatures of the APIs they stand in for. */
import type {
  Informer as LibraryInformer,
  KubernetesListObject,
  KubernetesObject,
  makeInformer,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { customInformer } from './custom-informer.js';

describe('customInformer', () => {
  it('watches and lists the same ironlb.io/v1alpha1 plural; objects stay plain JSON', async () => {
    const made: { path: string; list: () => Promise<KubernetesListObject<KubernetesObject>> }[] = [];
    const make = ((
      _kc: unknown,
      path: string,
      list: () => Promise<KubernetesListObject<KubernetesObject>>,
    ) => {
      made.push({ path, list });
      return {
        on: () => undefined,
        start: async () => undefined,
        stop: async () => undefined,
      } as unknown as LibraryInformer<KubernetesObject>;
    }) as unknown as typeof makeInformer;
    const calls: unknown[] = [];
    const pool = { metadata: { name: 'p', uid: 'u' }, spec: { addresses: ['198.51.100.0/29'] }, status: {} };
    const keys: string[] = [];
    const inf = customInformer<KubernetesObject>({
      clients: {
        kubeConfig: {} as never,
        custom: {
          listClusterCustomObject: async (args: unknown) => {
            calls.push(args);
            return { items: [pool] };
          },
        },
      },
      plural: 'ippools',
      queue: { add: (k) => keys.push(k) },
      makeInformer: make,
    });
    expect(made).toEqual([]);
    await inf.start();
    expect(made.map((m) => m.path)).toEqual(['/apis/ironlb.io/v1alpha1/ippools']);
    await made[0]?.list();
    expect(calls).toEqual([{ group: 'ironlb.io', version: 'v1alpha1', plural: 'ippools' }]);
    expect(inf.get('p')).toEqual(pool);
    expect(keys).toEqual(['p']);
    await inf.stop();
  });

  it('transform: keeps the view, keyed by the object name', async () => {
    let list: (() => Promise<KubernetesListObject<KubernetesObject>>) | undefined;
    const make = ((_kc: unknown, _path: string, l: () => Promise<KubernetesListObject<KubernetesObject>>) => {
      list = l;
      return {
        on: () => undefined,
        start: async () => undefined,
        stop: async () => undefined,
      } as unknown as LibraryInformer<KubernetesObject>;
    }) as unknown as typeof makeInformer;
    const pool = { metadata: { name: 'p', uid: 'u' }, spec: { addresses: ['198.51.100.0/29'] } };
    const inf = customInformer<typeof pool, string>({
      clients: {
        kubeConfig: {} as never,
        custom: { listClusterCustomObject: async () => ({ items: [pool] }) },
      },
      plural: 'ippools',
      transform: (p) => p.spec.addresses.join(','),
      makeInformer: make,
    });
    await inf.start();
    await list?.();
    expect(inf.get('p')).toBe('198.51.100.0/29');
    await inf.stop();
  });
});
