/* eslint-disable @typescript-eslint/require-await -- fakes keep the async signatures of the APIs they stand in for. */
import { PassThrough } from 'node:stream';
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { customInformer } from './custom-informer.js';

/** A watch that opens and stays silent; records the watched paths. */
function silentWatch(paths: string[]): {
  watch: (o: { path: string; signal: AbortSignal }) => Promise<PassThrough>;
  send: never;
} {
  return {
    watch: async (o) => {
      paths.push(o.path);
      const s = new PassThrough();
      o.signal.addEventListener('abort', () => s.destroy(new Error('aborted')), { once: true });
      return s;
    },
    send: undefined as never,
  };
}
const neverRecovers = { whenRecovered: () => () => undefined };

describe('customInformer', () => {
  it('watches and lists the same ironlb.io/v1alpha1 plural; objects stay plain JSON', async () => {
    const paths: string[] = [];
    const calls: unknown[] = [];
    const pool = { metadata: { name: 'p', uid: 'u' }, spec: { addresses: ['198.51.100.0/29'] }, status: {} };
    const keys: string[] = [];
    const inf = customInformer<KubernetesObject>({
      clients: {
        kubeConfig: silentWatch(paths),
        custom: {
          listClusterCustomObject: async (args: unknown) => {
            calls.push(args);
            return { items: [pool] };
          },
        },
      },
      plural: 'ippools',
      queue: { add: (k) => keys.push(k) },
      recovery: neverRecovers,
    });
    expect(calls).toEqual([]);
    await inf.start();
    expect(paths).toEqual(['/apis/ironlb.io/v1alpha1/ippools']);
    expect(calls).toEqual([{ group: 'ironlb.io', version: 'v1alpha1', plural: 'ippools' }]);
    expect(inf.get('p')).toEqual(pool);
    expect(keys).toEqual(['p']);
    await inf.stop();
  });

  it('transform: keeps the view, keyed by the object name', async () => {
    const pool = { metadata: { name: 'p', uid: 'u' }, spec: { addresses: ['198.51.100.0/29'] } };
    const inf = customInformer<typeof pool, string>({
      clients: {
        kubeConfig: silentWatch([]),
        custom: { listClusterCustomObject: async () => ({ items: [pool] }) },
      },
      plural: 'ippools',
      transform: (p) => p.spec.addresses.join(','),
      recovery: neverRecovers,
    });
    await inf.start();
    expect(inf.get('p')).toBe('198.51.100.0/29');
    await inf.stop();
  });
});
