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
import { ApiRecovery } from './api-recovery.js';
import { Informer } from './informer.js';
import { startFakeApiServer, type FakeApiServer } from './testing/fake-api-server.js';

/**
 * A stand-in for the library informer: records start() calls, lets the test emit events. `onStart`
 * runs inside start() (e.g. to report an error while the fake API server is down, like the library).
 */
function fakeLibrary(onStart?: (emit: (verb: string, arg?: unknown) => void) => void | Promise<void>): {
  make: typeof makeInformer;
  emit: (verb: string, arg?: unknown) => void;
  starts: () => number;
  stops: () => number;
  listFn: () => Promise<KubernetesListObject<KubernetesObject>>;
} {
  const handlers = new Map<string, ((x: unknown) => void)[]>();
  let starts = 0;
  let stops = 0;
  let listFn: (() => Promise<KubernetesListObject<KubernetesObject>>) | undefined;
  const emitAll = (verb: string, arg?: unknown): void => {
    for (const cb of handlers.get(verb) ?? []) cb(arg);
  };
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
        await onStart?.(emitAll);
      },
      stop: async () => {
        stops += 1;
        for (const cb of handlers.get('error') ?? [])
          cb(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      },
    };
    return inf as unknown as LibraryInformer<KubernetesObject>;
  }) as unknown as typeof makeInformer;
  return {
    make,
    emit: emitAll,
    starts: () => starts,
    stops: () => stops,
    listFn: () => listFn!(),
  };
}

afterEach(() => {
  vi.useRealTimers();
});

const neverRecovers = { whenRecovered: () => () => undefined };

/** An error as the library reports it when the API server answered with `code`. */
const httpError = (code: number): Error => Object.assign(new Error(`HTTP ${code}`), { statusCode: code });
/** A network-level failure (no HTTP status), as fetch reports a refused connection. */
const refused = (): Error =>
  new TypeError('fetch failed', {
    cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
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
      recovery: neverRecovers,
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

  it('restarts within one probe interval once the API server is back, not after the remaining backoff', async () => {
    vi.useFakeTimers();
    let apiUp = false;
    let probes = 0;
    const recovery = new ApiRecovery({
      probe: () => {
        probes += 1;
        return Promise.resolve(apiUp);
      },
      intervalMs: 200,
    });
    // While the API server is down every start fails like the library's: an error event, no throw.
    const lib = fakeLibrary((emit) => {
      if (!apiUp) emit('error', refused());
    });
    const inf = new Informer({
      kubeConfig: {} as never,
      path: '/api/v1/services',
      list: async () => ({ items: [] }),
      makeInformer: lib.make,
      backoff: { baseMs: 1000, maxMs: 30_000 },
      recovery,
    });
    await inf.start(); // fails: restarts at 1, 3, 7, 15 s, then the next is 16 s later (31 s)
    await vi.advanceTimersByTimeAsync(20_000);
    expect(lib.starts()).toBe(5);
    expect(probes).toBe(101); // one probe per 200 ms while waiting, shared
    apiUp = true;
    await vi.advanceTimersByTimeAsync(199);
    expect(lib.starts()).toBe(5);
    await vi.advanceTimersByTimeAsync(1);
    expect(lib.starts()).toBe(6); // 200 ms after the API server came back, not at 31 s
    expect(recovery.waiting()).toBe(0);
    // The restart succeeded and the watch stayed up: the backoff starts over (1 s after the next failure).
    await vi.advanceTimersByTimeAsync(5_000);
    lib.emit('error', httpError(500));
    await vi.advanceTimersByTimeAsync(999);
    expect(lib.starts()).toBe(6);
    await vi.advanceTimersByTimeAsync(1);
    expect(lib.starts()).toBe(7);
    await inf.stop();
  });

  it('an HTTP error while the API server is ready waits out its backoff (no restart storm)', async () => {
    vi.useFakeTimers();
    let probes = 0;
    const recovery = new ApiRecovery({
      probe: () => {
        probes += 1;
        return Promise.resolve(true);
      },
      intervalMs: 200,
    });
    const lib = fakeLibrary((emit) => {
      emit('error', httpError(403));
    });
    const inf = new Informer({
      kubeConfig: {} as never,
      path: '/api/v1/services',
      list: async () => ({ items: [] }),
      makeInformer: lib.make,
      backoff: { baseMs: 1000, maxMs: 4000 },
      recovery,
    });
    await inf.start();
    // Restarts at 1, 3, 7, 11, 15, 19 s: doubling, capped at 4 s.
    await vi.advanceTimersByTimeAsync(20_000);
    expect(lib.starts()).toBe(7);
    expect(probes).toBeGreaterThan(0);
    await inf.stop();
    const after = probes;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(recovery.waiting()).toBe(0);
    expect(probes).toBe(after);
    expect(lib.starts()).toBe(7);
  });

  it('never restarts sooner than the base delay after a failure, even when the server is ready at once', async () => {
    vi.useFakeTimers();
    const recovery = new ApiRecovery({ probe: () => Promise.resolve(true), intervalMs: 50 });
    const lib = fakeLibrary();
    const inf = new Informer({
      kubeConfig: {} as never,
      path: '/api/v1/services',
      list: async () => ({ items: [] }),
      makeInformer: lib.make,
      backoff: { baseMs: 300, maxMs: 10_000 },
      recovery,
    });
    await inf.start();
    lib.emit('error', refused());
    await vi.advanceTimersByTimeAsync(299);
    expect(lib.starts()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(lib.starts()).toBe(2);
    await inf.stop();
  });

  it('a stop() while start() is still establishing the watch stops it again once start() returns', async () => {
    let release: (() => void) | undefined;
    const lib = fakeLibrary(
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    );
    const inf = new Informer({
      kubeConfig: {} as never,
      path: '/api/v1/services',
      list: async () => ({ items: [] }),
      makeInformer: lib.make,
      recovery: neverRecovers,
    });
    const started = inf.start();
    await inf.stop(); // the library has no request to abort yet
    expect(lib.stops()).toBe(1);
    release?.();
    await started;
    expect(lib.stops()).toBe(2); // the watch that start() just established is aborted
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

  it('transform: the store keeps the view of each LIST item and watch event, keyed by the object', async () => {
    const lib = fakeLibrary();
    const seen: [string, unknown][] = [];
    let calls = 0;
    const inf = new Informer<V1Service, { ip: string | undefined }>({
      kubeConfig: {} as never,
      path: '/api/v1/services',
      list: async () => ({
        items: [{ metadata: { name: 'a', namespace: 'x' }, spec: { clusterIP: '10.0.0.1', ports: [] } }],
      }),
      makeInformer: lib.make,
      transform: (svc) => {
        calls += 1;
        return { ip: svc.spec?.clusterIP };
      },
      onEvent: (event, view) => seen.push([event, view]),
    });
    await inf.start();
    await lib.listFn();
    expect(inf.get('x/a')).toEqual({ ip: '10.0.0.1' });
    lib.emit('add', { metadata: { name: 'b', namespace: 'y' }, spec: { clusterIP: '10.0.0.2' } });
    lib.emit('update', { metadata: { name: 'a', namespace: 'x' }, spec: { clusterIP: '10.0.0.3' } });
    expect(inf.keys().sort()).toEqual(['x/a', 'y/b']);
    expect(inf.list()).toContainEqual({ ip: '10.0.0.3' });
    expect(inf.get('y/b')).toEqual({ ip: '10.0.0.2' });
    lib.emit('delete', { metadata: { name: 'b', namespace: 'y' }, spec: { clusterIP: '10.0.0.2' } });
    expect(inf.get('y/b')).toBeUndefined();
    expect(seen).toEqual([
      ['add', { ip: '10.0.0.2' }],
      ['update', { ip: '10.0.0.3' }],
      ['delete', { ip: '10.0.0.2' }],
    ]);
    expect(calls).toBe(4); // once per arrival
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
