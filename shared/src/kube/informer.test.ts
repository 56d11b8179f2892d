/* eslint-disable @typescript-eslint/require-await -- fakes keep the async signatures of the APIs they stand in for. */
import {
  type Informer as LibraryInformer,
  type KubernetesListObject,
  type KubernetesObject,
  type makeInformer,
  type V1Service,
} from '@kubernetes/client-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createKubeClients, type KubeClients } from './client-factory.js';
import { Informer } from './informer.js';
import { startFakeApiServer, type FakeApiServer } from './testing/fake-api-server.js';

/** A stand-in for the library informer: records start() calls, lets the test emit events. */
function fakeLibrary(): {
  make: typeof makeInformer;
  emit: (verb: string, arg?: unknown) => void;
  starts: () => number;
  listFn: () => Promise<KubernetesListObject<KubernetesObject>>;
} {
  const handlers = new Map<string, ((x: unknown) => void)[]>();
  let starts = 0;
  let listFn: (() => Promise<KubernetesListObject<KubernetesObject>>) | undefined;
  const make = ((
    _kc: unknown,
    _path: string,
    list: () => Promise<KubernetesListObject<KubernetesObject>>,
  ) => {
    listFn = list;
    const inf = {
      on: (verb: string, cb: (x: unknown) => void) => handlers.set(verb, [...(handlers.get(verb) ?? []), cb]),
      off: () => undefined,
      start: async () => {
        starts += 1;
      },
      stop: async () => {
        for (const cb of handlers.get('error') ?? [])
          cb(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      },
    };
    return inf as unknown as LibraryInformer<KubernetesObject>;
  }) as unknown as typeof makeInformer;
  return {
    make,
    emit: (verb, arg) => {
      for (const cb of handlers.get(verb) ?? []) cb(arg);
    },
    starts: () => starts,
    listFn: () => listFn!(),
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Informer (fake library informer)', () => {
  it('constructor does no work; restarts on error with growing backoff; ignores errors after stop', async () => {
    vi.useFakeTimers();
    const lib = fakeLibrary();
    const inf = new Informer({
      kubeConfig: {} as never,
      path: '/api/v1/services',
      list: async () => ({ items: [] }),
      makeInformer: lib.make,
      backoff: { baseMs: 100, maxMs: 1000 },
    });
    expect(lib.starts()).toBe(0);
    await inf.start();
    expect(lib.starts()).toBe(1);
    lib.emit('error', new Error('500'));
    await vi.advanceTimersByTimeAsync(99);
    expect(lib.starts()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(lib.starts()).toBe(2);
    lib.emit('error', new Error('500 again'));
    await vi.advanceTimersByTimeAsync(199);
    expect(lib.starts()).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(lib.starts()).toBe(3);
    await inf.stop(); // the fake emits an AbortError like the library does
    lib.emit('error', new Error('late'));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(lib.starts()).toBe(3);
  });

  it('LIST replaces the store, marks synced, enqueues listed and vanished keys', async () => {
    const lib = fakeLibrary();
    let items: V1Service[] = [
      { metadata: { name: 'a', namespace: 'x' } },
      { metadata: { name: 'b', namespace: 'x' } },
    ];
    const queued: string[] = [];
    const inf = new Informer<V1Service>({
      kubeConfig: {} as never,
      path: '/api/v1/services',
      list: async () => ({ items }),
      typeName: 'V1Service',
      makeInformer: lib.make,
      queue: { add: (k) => queued.push(k) },
    });
    await inf.start();
    expect(inf.hasSynced()).toBe(false);
    await lib.listFn();
    expect(inf.hasSynced()).toBe(true);
    expect(inf.keys().sort()).toEqual(['x/a', 'x/b']);
    items = [{ metadata: { name: 'b', namespace: 'x' } }];
    queued.length = 0;
    await lib.listFn();
    expect(inf.keys()).toEqual(['x/b']);
    expect(queued).toEqual(['x/a', 'x/b']);
    lib.emit('delete', { metadata: { name: 'b', namespace: 'x' } });
    expect(inf.keys()).toEqual([]);
    await inf.stop();
  });
});

describe('Informer (real library informer, local HTTPS API server)', () => {
  let server: FakeApiServer | undefined;
  let clients: KubeClients | undefined;
  afterEach(async () => {
    await clients?.close();
    await server?.close();
  });

  it('restarts after a failed LIST and stores watch objects typed like LIST items', async () => {
    let lists = 0;
    server = await startFakeApiServer((app) => {
      app.get('/api/v1/services', (req, reply) => {
        const query = req.query as Record<string, string>;
        if (query.watch === 'true') {
          reply.raw.writeHead(200, { 'content-type': 'application/json' });
          const obj = {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: {
              name: 'w',
              namespace: 'd',
              resourceVersion: '6',
              creationTimestamp: '2024-02-02T00:00:00Z',
            },
          };
          reply.raw.write(JSON.stringify({ type: 'ADDED', object: obj }) + '\n');
          return;
        }
        lists += 1;
        if (lists === 1) return reply.code(500).send({ kind: 'Status', code: 500 });
        return reply.send({
          kind: 'ServiceList',
          metadata: { resourceVersion: '5' },
          items: [
            {
              metadata: {
                name: 'l',
                namespace: 'd',
                resourceVersion: '5',
                creationTimestamp: '2024-01-01T00:00:00Z',
              },
            },
          ],
        });
      });
    });
    const made = await createKubeClients({ kubeconfigYaml: server.kubeconfig });
    if (!made.ok) throw new Error(made.error);
    clients = made.value;
    const core = clients.core;
    const inf = new Informer<V1Service>({
      kubeConfig: clients.kubeConfig,
      path: '/api/v1/services',
      list: () => core.listServiceForAllNamespaces(),
      typeName: 'V1Service',
      backoff: { baseMs: 20, maxMs: 100 },
    });
    await inf.start();
    await expect.poll(() => inf.keys().sort(), { timeout: 5000 }).toEqual(['d/l', 'd/w']);
    expect(lists).toBe(2);
    expect(inf.hasSynced()).toBe(true);
    expect(inf.get('d/l')?.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(inf.get('d/w')?.metadata?.creationTimestamp).toEqual(new Date('2024-02-02T00:00:00Z'));
    await inf.stop();
  });
});
