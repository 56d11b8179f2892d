/* eslint-disable @typescript-eslint/require-await -- fakes keep the async signatures of the APIs they stand in for. */
import { PassThrough } from 'node:stream';
import type { V1Service } from '@kubernetes/client-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KubeApiError } from './api-error.js';
import { ApiRecovery } from './api-recovery.js';
import { createKubeClients, type KubeClients } from './client-factory.js';
import { Informer } from './informer.js';
import type { Query } from './kube-connection.js';
import { startFakeApiServer, type FakeApiServer } from './testing/fake-api-server.js';

type Mode = 'open' | 'refused' | number;

/**
 * A stand-in for the connection's watch: each call takes the next of `modes` (default 'open': a stream the
 * test writes to; 'refused': like an unreachable server; a number: that HTTP status), or asks `mode()`.
 */
function fakeWatches(mode: () => Mode = () => 'open'): {
  source: {
    watch: (o: { path: string; query: Query; signal: AbortSignal }) => Promise<PassThrough>;
    send: never;
  };
  opens: () => number;
  queries: Query[];
  modes: Mode[];
  stream: () => PassThrough | undefined;
} {
  const queries: Query[] = [];
  const modes: Mode[] = [];
  let current: PassThrough | undefined;
  const watch = async (o: { query: Query; signal: AbortSignal }): Promise<PassThrough> => {
    queries.push(o.query);
    const m = modes.shift() ?? mode();
    if (m === 'refused') throw refused();
    if (typeof m === 'number') throw new KubeApiError(m, '{"message":"no"}', 'watch');
    const stream = new PassThrough();
    o.signal.addEventListener('abort', () => stream.destroy(new Error('aborted')), { once: true });
    current = stream;
    return stream;
  };
  return {
    source: { watch, send: undefined as never },
    opens: () => queries.length,
    queries,
    modes,
    stream: () => current,
  };
}

afterEach(() => {
  vi.useRealTimers();
});

const neverRecovers = { whenRecovered: () => () => undefined };
/** A network-level failure (no HTTP status), as a refused connection. */
const refused = (): Error => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
const line = (type: string, object: object): string => `${JSON.stringify({ type, object })}\n`;

describe('Informer (stand-in watch)', () => {
  it('constructor does no work; restarts on error with growing backoff; nothing restarts after stop', async () => {
    vi.useFakeTimers();
    const w = fakeWatches();
    const inf = new Informer({
      kubeConfig: w.source,
      path: '/api/v1/services',
      list: async () => ({ items: [], metadata: { resourceVersion: '1' } }),
      backoff: { baseMs: 100, maxMs: 1000 },
      recovery: neverRecovers,
    });
    expect(w.opens()).toBe(0);
    await inf.start();
    expect(w.opens()).toBe(1);
    expect(w.queries[0]).toEqual({
      resourceVersion: '1',
      allowWatchBookmarks: true,
      labelSelector: undefined,
    });
    w.stream()?.destroy(new Error('reset'));
    await vi.advanceTimersByTimeAsync(99);
    expect(w.opens()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(w.opens()).toBe(2);
    w.stream()?.destroy(new Error('reset again'));
    await vi.advanceTimersByTimeAsync(199);
    expect(w.opens()).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(w.opens()).toBe(3);
    await inf.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(w.opens()).toBe(3);
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
    const w = fakeWatches(() => (apiUp ? 'open' : 'refused'));
    const inf = new Informer({
      kubeConfig: w.source,
      path: '/api/v1/services',
      list: async () => {
        if (!apiUp) throw refused();
        return { items: [] };
      },
      backoff: { baseMs: 1000, maxMs: 30_000 },
      recovery,
    });
    await inf.start(); // fails: restarts at 1, 3, 7, 15 s, then the next is 16 s later (31 s)
    await vi.advanceTimersByTimeAsync(20_000);
    expect(probes).toBe(101); // one probe per 200 ms while waiting, shared
    apiUp = true;
    await vi.advanceTimersByTimeAsync(199);
    expect(w.opens()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(w.opens()).toBe(1); // 200 ms after the API server came back, not at 31 s
    expect(inf.hasSynced()).toBe(true);
    expect(recovery.waiting()).toBe(0);
    // The watch stayed up: the backoff starts over (1 s after the next failure).
    await vi.advanceTimersByTimeAsync(5_000);
    w.stream()?.destroy(new Error('reset'));
    await vi.advanceTimersByTimeAsync(999);
    expect(w.opens()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(w.opens()).toBe(2);
    await inf.stop();
  });

  it('an HTTP error while the API server is ready waits out its backoff (no restart storm)', async () => {
    vi.useFakeTimers();
    const recovery = new ApiRecovery({ probe: () => Promise.resolve(true), intervalMs: 200 });
    const w = fakeWatches(() => 403);
    const inf = new Informer({
      kubeConfig: w.source,
      path: '/api/v1/services',
      list: async () => ({ items: [] }),
      backoff: { baseMs: 1000, maxMs: 4000 },
      recovery,
    });
    await inf.start();
    // Restarts at 1, 3, 7, 11, 15, 19 s: doubling, capped at 4 s.
    await vi.advanceTimersByTimeAsync(20_000);
    expect(w.opens()).toBe(7);
    await inf.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(recovery.waiting()).toBe(0);
    expect(w.opens()).toBe(7);
  });

  it('410 Gone (HTTP status or ERROR event) lists again at once; a BOOKMARK moves the resourceVersion', async () => {
    let lists = 0;
    const w = fakeWatches();
    const inf = new Informer<V1Service>({
      kubeConfig: w.source,
      path: '/api/v1/services',
      list: async () => {
        lists += 1;
        return { items: [], metadata: { resourceVersion: `${lists}0` } };
      },
      recovery: neverRecovers,
    });
    await inf.start();
    w.stream()?.write(line('BOOKMARK', { metadata: { resourceVersion: '15' } }));
    w.stream()?.write(line('ERROR', { kind: 'Status', code: 410, message: 'too old' }));
    await expect.poll(() => w.opens()).toBe(2);
    expect(lists).toBe(2);
    w.stream()?.write(line('BOOKMARK', { metadata: { resourceVersion: '25' } }));
    w.stream()?.end(); // the server ended the watch: re-watch from the bookmark, no LIST
    await expect.poll(() => w.opens()).toBe(3);
    w.modes.push(410); // the next watch is refused with HTTP 410
    w.stream()?.write(line('BOOKMARK', { metadata: { resourceVersion: '26' } }));
    w.stream()?.end();
    await expect.poll(() => w.opens()).toBe(5);
    expect(lists).toBe(3);
    expect(w.queries.map((q) => q.resourceVersion)).toEqual(['10', '20', '25', '26', '30']);
    await inf.stop();
  });

  it('410 at once after a fresh LIST backs off instead of listing in a loop', async () => {
    vi.useFakeTimers();
    let lists = 0;
    const w = fakeWatches(() => 410);
    const inf = new Informer({
      kubeConfig: w.source,
      path: '/api/v1/services',
      list: async () => ({ items: [], metadata: { resourceVersion: String((lists += 1)) } }),
      backoff: { baseMs: 1000, maxMs: 1000 },
      recovery: neverRecovers,
    });
    await inf.start();
    await vi.advanceTimersByTimeAsync(2_500);
    expect(lists).toBe(3); // at 0, 1 and 2 s
    await inf.stop();
  });

  it('LIST replaces the store, marks synced, enqueues listed and vanished keys; transform keeps views', async () => {
    const w = fakeWatches();
    let items: V1Service[] = [
      { metadata: { name: 'a', namespace: 'x' }, spec: { clusterIP: '10.0.0.1' } },
      { metadata: { name: 'b', namespace: 'x' }, spec: { clusterIP: '10.0.0.2' } },
    ];
    const queued: string[] = [];
    const seen: [string, unknown][] = [];
    const inf = new Informer<V1Service, string | undefined>({
      kubeConfig: w.source,
      path: '/api/v1/services',
      list: async () => ({ items }),
      transform: (svc) => svc.spec?.clusterIP,
      queue: { add: (k) => queued.push(k) },
      onEvent: (event, view) => seen.push([event, view]),
      recovery: neverRecovers,
    });
    expect(inf.hasSynced()).toBe(false);
    await inf.start();
    expect(inf.hasSynced()).toBe(true);
    expect(inf.keys().sort()).toEqual(['x/a', 'x/b']);
    expect(inf.get('x/a')).toBe('10.0.0.1');
    w.stream()?.write(
      line('ADDED', {
        metadata: { name: 'c', namespace: 'y', resourceVersion: '3' },
        spec: { clusterIP: '10.0.0.3' },
      }),
    );
    w.stream()?.write(
      line('DELETED', {
        metadata: { name: 'a', namespace: 'x', resourceVersion: '4' },
        spec: { clusterIP: '10.0.0.1' },
      }),
    );
    await expect.poll(() => inf.keys().sort()).toEqual(['x/b', 'y/c']);
    expect(inf.get('y/c')).toBe('10.0.0.3');
    items = [{ metadata: { name: 'b', namespace: 'x' }, spec: { clusterIP: '10.0.0.9' } }];
    queued.length = 0;
    seen.length = 0;
    w.stream()?.write(line('ERROR', { code: 410 }));
    await expect.poll(() => inf.keys()).toEqual(['x/b']);
    expect(queued.sort()).toEqual(['x/b', 'y/c']);
    expect(seen).toEqual([
      ['delete', '10.0.0.3'],
      ['update', '10.0.0.9'],
    ]);
    await inf.stop();
  });
  it('lists() counts completed LISTs only: a failed LIST adds none, stop() then start() adds one', async () => {
    vi.useFakeTimers();
    const w = fakeWatches();
    let failNext = false;
    const inf = new Informer({
      kubeConfig: w.source,
      path: '/api/v1/services',
      list: async () => {
        if (failNext) {
          failNext = false;
          throw refused();
        }
        return { items: [], metadata: { resourceVersion: '1' } };
      },
      backoff: { baseMs: 100, maxMs: 100, jitter: 0 },
      recovery: neverRecovers,
    });
    expect(inf.lists()).toBe(0);
    await inf.start();
    expect(inf.lists()).toBe(1);
    // A watch resumed from the last resourceVersion is not a LIST.
    w.stream()?.destroy(new Error('reset'));
    await vi.advanceTimersByTimeAsync(100);
    expect(w.opens()).toBe(2);
    expect(inf.lists()).toBe(1);
    await inf.stop();
    failNext = true;
    await inf.start();
    expect(inf.lists()).toBe(1);
    // The restart after the failed LIST lists again.
    await vi.advanceTimersByTimeAsync(100);
    expect(inf.lists()).toBe(2);
    expect(inf.hasSynced()).toBe(true);
    await inf.stop();
  });
});

describe('Informer (local HTTPS API server)', () => {
  let server: FakeApiServer | undefined;
  let clients: KubeClients | undefined;
  afterEach(async () => {
    await clients?.close();
    await server?.close();
  });

  it('restarts after a failed LIST; watch events split across chunks arrive as plain JSON', async () => {
    let lists = 0;
    const watchQueries: Record<string, string>[] = [];
    server = await startFakeApiServer((app) => {
      app.get('/api/v1/services', (req, reply) => {
        const query = req.query as Record<string, string>;
        if (query.watch === 'true') {
          watchQueries.push(query);
          reply.raw.writeHead(200, { 'content-type': 'application/json' });
          const text = line('ADDED', {
            metadata: {
              name: 'w',
              namespace: 'd',
              resourceVersion: '6',
              creationTimestamp: '2024-02-02T00:00:00Z',
            },
            spec: { ports: [{ name: 'é', port: 80 }] },
          });
          const bytes = Buffer.from(text);
          const cut = bytes.indexOf(Buffer.from('é')) + 1; // inside the 2-byte character
          reply.raw.write(bytes.subarray(0, cut));
          setTimeout(() => reply.raw.write(bytes.subarray(cut)), 20);
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
      labelSelector: 'app=x',
      backoff: { baseMs: 20, maxMs: 100 },
    });
    await inf.start();
    await expect.poll(() => inf.keys().sort(), { timeout: 5000 }).toEqual(['d/l', 'd/w']);
    expect(lists).toBe(2);
    expect(inf.hasSynced()).toBe(true);
    expect(inf.get('d/l')?.metadata?.creationTimestamp).toBe('2024-01-01T00:00:00Z');
    expect(inf.get('d/w')?.spec?.ports?.[0]?.name).toBe('é');
    expect(watchQueries[0]).toMatchObject({
      resourceVersion: '5',
      allowWatchBookmarks: 'true',
      labelSelector: 'app=x',
    });
    await inf.stop();
    expect(clients.socketStats().watches).toBe(0);
  });
});
