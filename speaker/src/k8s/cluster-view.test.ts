/* eslint-disable @typescript-eslint/require-await -- fastify handlers stand in for API endpoints. */
import type { FastifyReply } from 'fastify';
import { createKubeClients, type KubeClients } from '@ironlb/shared/kube';
import { createLogger } from '@ironlb/shared/log';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeApiServer, type FakeApiServer } from '../../../shared/src/kube/testing/fake-api-server.js';
import { ClusterView } from './cluster-view.js';
import { CLUSTER_PATHS, startFakeClusterApi } from './testing/fake-cluster-api.js';

const GV = '/apis/ironlb.io/v1alpha1';
let server: FakeApiServer | undefined;
let clients: KubeClients | undefined;
let abort: AbortController | undefined;
/** Paths whose LIST answers 500 (a LIST that fails after the API server is reachable again). */
const failLists = new Set<string>();

afterEach(async () => {
  failLists.clear();
  abort?.abort();
  await clients?.close();
  await server?.close();
});

interface FakeCluster {
  view: ClusterView;
  /** Sends a watch event on the newest watch of `path`. */
  push: (path: string, event: { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: object }) => void;
  /** LISTs answered per path so far. */
  lists: Map<string, number>;
  /** onChange calls so far (one per watch event). */
  changes: () => number;
}

/**
 * LIST answers per path (the arrays may be changed later: each LIST reads them) and open watches that stay
 * silent until `push`: what a freshly started speaker sees.
 */
async function startCluster(
  collections: Record<string, object[]>,
  loadBalancerClass?: string,
): Promise<FakeCluster> {
  const watches: FastifyReply[] = [];
  const byPath = new Map<string, FastifyReply>();
  const lists = new Map<string, number>();
  let changeCount = 0;
  server = await startFakeApiServer((app) => {
    for (const [path, items] of Object.entries(collections)) {
      app.get(path, async (req, reply) => {
        if ((req.query as Record<string, string>).watch === 'true') {
          reply.raw.writeHead(200, { 'content-type': 'application/json' });
          reply.raw.flushHeaders();
          watches.push(reply);
          byPath.set(path, reply);
          return reply;
        }
        if (failLists.has(path)) return reply.code(500).send({ kind: 'Status', code: 500 });
        lists.set(path, (lists.get(path) ?? 0) + 1);
        return { kind: 'List', metadata: { resourceVersion: '10' }, items };
      });
    }
    app.addHook('onClose', async () => {
      for (const w of watches) w.raw.end();
    });
  });
  const made = await createKubeClients({ kubeconfigYaml: server.kubeconfig });
  if (!made.ok) throw new Error(made.error);
  clients = made.value;
  const view = new ClusterView({
    clients,
    logger: createLogger({ name: 'test', level: 'silent' }),
    onChange: () => {
      changeCount += 1;
    },
    loadBalancerClass,
  });
  abort = new AbortController();
  await view.start(abort.signal);
  await expect.poll(() => view.hasSynced(), { timeout: 10_000 }).toBe(true);
  const push: FakeCluster['push'] = (path, event) => {
    const watch = byPath.get(path);
    if (watch === undefined) throw new Error(`no watch on ${path}`);
    watch.raw.write(`${JSON.stringify(event)}\n`);
  };
  return { view, push, lists, changes: () => changeCount };
}

async function startView(collections: Record<string, object[]>): Promise<ClusterView> {
  return (await startCluster(collections)).view;
}

const cluster = (pools: object[], l2: object[]): Record<string, object[]> => ({
  '/api/v1/services': [],
  '/apis/discovery.k8s.io/v1/endpointslices': [],
  '/api/v1/nodes': [],
  [`${GV}/ippools`]: pools,
  [`${GV}/l2announcements`]: l2,
});

const pool = (name: string, spec: object, status?: object): object => ({
  apiVersion: 'ironlb.io/v1alpha1',
  kind: 'IPPool',
  metadata: { name, uid: `uid-${name}`, generation: 2 },
  spec,
  ...(status === undefined ? {} : { status }),
});

describe('ClusterView (fake API server)', () => {
  it('a freshly started speaker uses an invalid pool from status.lastValidSpec; without one the pool is not used', async () => {
    const view = await startView(
      cluster(
        [
          pool(
            'kept',
            { addresses: ['192.0.2.8/30', 'bogus'] },
            { lastValidSpec: { addresses: ['192.0.2.8/30'] }, lastValidGeneration: 1 },
          ),
          pool('lost', { addresses: ['bogus'] }),
          pool('fine', { addresses: ['192.0.2.16/30'] }),
        ],
        [{ metadata: { name: 'all', uid: 'uid-all' }, spec: {} }],
      ),
    );
    const { pools, announcements } = view.snapshot();
    expect(pools.map((p) => [p.name, p.addresses])).toEqual([
      ['kept', ['192.0.2.8/30']],
      ['fine', ['192.0.2.16/30']],
    ]);
    expect(announcements.map((a) => a.name)).toEqual(['all']);
  });
});

const SERVICES = '/api/v1/services';
const SLICES = '/apis/discovery.k8s.io/v1/endpointslices';
const CLASS = 'ironlb.io/view-test';

const svc = (name: string, spec: object, status: { ips?: string[]; rv?: string } = {}): object => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { namespace: 'ns', name, uid: `uid-${name}`, resourceVersion: status.rv ?? '11' },
  spec,
  status: { loadBalancer: { ingress: (status.ips ?? []).map((ip) => ({ ip })) } },
});

const slice = (service: string, nodes: string[]): object => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  addressType: 'IPv4',
  metadata: {
    namespace: 'ns',
    name: `${service}-x`,
    resourceVersion: '12',
    labels: { 'kubernetes.io/service-name': service },
  },
  endpoints: nodes.map((nodeName, i) => ({
    addresses: [`10.0.0.${String(i + 1)}`],
    nodeName,
    conditions: { ready: true },
  })),
});

describe('ClusterView: only served Services and their endpoints', () => {
  it('plans served Services with their endpoints; foreign Services and their slices are not in the view', async () => {
    const c = cluster([], []);
    c[SERVICES] = [
      svc(
        'ours',
        { type: 'LoadBalancer', loadBalancerClass: CLASS, externalTrafficPolicy: 'Local' },
        { ips: ['198.51.100.7'] },
      ),
      svc('classless', { type: 'LoadBalancer' }, { ips: ['198.51.100.8'] }),
      svc(
        'foreign',
        { type: 'LoadBalancer', loadBalancerClass: 'other.example/lb' },
        { ips: ['198.51.100.9'] },
      ),
      svc('pending', { type: 'LoadBalancer', loadBalancerClass: CLASS }),
    ];
    c[SLICES] = [slice('ours', ['n1', 'n2']), slice('foreign', ['n3'])];
    const { view } = await startCluster(c, CLASS);
    const { services } = view.snapshot();
    expect(
      services.map((s) => [s.name, s.ips, s.externalTrafficPolicy, s.endpoints.map((e) => e.nodeName)]),
    ).toEqual([
      ['ours', ['198.51.100.7'], 'Local', ['n1', 'n2']],
      ['classless', ['198.51.100.8'], 'Cluster', []],
    ]);
  });

  it('a Service that becomes ours after its slice was dropped gets its endpoints back (slices relisted)', async () => {
    const c = cluster([], []);
    c[SERVICES] = [svc('web', { type: 'ClusterIP' })];
    const { view, push, lists, changes } = await startCluster(c, CLASS);
    // The slice arrives while the Service is known and not ours: only a tombstone is kept.
    const webSlice = slice('web', ['n1']);
    c[SLICES]?.push(webSlice);
    const changesBefore = changes();
    push(SLICES, { type: 'ADDED', object: webSlice });
    await expect.poll(changes, { timeout: 10_000 }).toBeGreaterThan(changesBefore);
    expect(view.snapshot().services).toEqual([]);
    const listsBefore = lists.get(SLICES) ?? 0;
    // kubectl patch: ClusterIP → LoadBalancer of our class, and the controller wrote an IP.
    const web = svc(
      'web',
      { type: 'LoadBalancer', loadBalancerClass: CLASS, externalTrafficPolicy: 'Local' },
      { ips: ['198.51.100.10'], rv: '13' },
    );
    push(SERVICES, { type: 'MODIFIED', object: web });
    await expect
      .poll(() => view.snapshot().services.map((s) => [s.name, s.endpoints.map((e) => e.nodeName)]), {
        timeout: 10_000,
      })
      .toEqual([['web', ['n1']]]);
    expect(lists.get(SLICES) ?? 0).toBeGreaterThan(listsBefore);
  });

  it('freeze() stops taking events; catchUp() is true only once every informer has listed again', async () => {
    const c = cluster([], []);
    const { view, push, lists } = await startCluster(c, CLASS);
    const web = svc('web', { type: 'LoadBalancer', loadBalancerClass: CLASS }, { ips: ['198.51.100.20'] });
    const before = new Map(lists);
    view.freeze();
    // What a half-open watch would still deliver does not reach the frozen view.
    push(SERVICES, { type: 'ADDED', object: web });
    c[SERVICES]?.push(web);
    await new Promise((r) => setTimeout(r, 200));
    expect(view.snapshot().services).toEqual([]);
    // The API server answers again, but one LIST still fails: not caught up, nothing half-applied counts.
    failLists.add(SLICES);
    expect(await view.catchUp()).toBe(false);
    failLists.clear();
    // The failed informer retries on its own (backoff 1 s); catchUp() turns true once it has listed.
    await expect.poll(async () => view.catchUp(), { timeout: 10_000, interval: 200 }).toBe(true);
    expect(view.snapshot().services.map((s) => s.name)).toEqual(['web']);
    for (const path of Object.keys(c)) expect(lists.get(path), path).toBe((before.get(path) ?? 0) + 1);
    // Not frozen any more: catchUp() is true at once and a second freeze() works again.
    expect(await view.catchUp()).toBe(true);
    view.freeze();
    expect(await view.catchUp()).toBe(true);
  });
});

describe('ClusterView: watch errors', () => {
  it('keeps its last view while its watches fail and the API server answers 503, then takes the new state once it answers again', async () => {
    const lb = { type: 'LoadBalancer', loadBalancerClass: CLASS };
    const api = await startFakeClusterApi({
      [CLUSTER_PATHS.services]: [svc('web', lb, { ips: ['198.51.100.30'] })],
    });
    const stop = new AbortController();
    let changes = 0;
    const view = new ClusterView({
      clients: api.clients,
      logger: createLogger({ name: 'test', level: 'silent' }),
      onChange: () => {
        changes += 1;
      },
      loadBalancerClass: CLASS,
    });
    try {
      await view.start(stop.signal);
      await expect.poll(() => view.hasSynced(), { timeout: 10_000 }).toBe(true);
      const names = (): string[] => view.snapshot().services.map((s) => s.name);
      expect(names()).toEqual(['web']);
      // Every watch ends with an ERROR event; the informers' restarts fail (503) until the API server is back.
      api.failWith = 503;
      api.breakWatches(500);
      const failedBefore = api.failed;
      await expect.poll(() => api.failed, { timeout: 10_000 }).toBeGreaterThan(failedBefore);
      // Meanwhile the Service was deleted and another one created: the view cannot know, it keeps the last LIST.
      api.replace(CLUSTER_PATHS.services, [svc('api', lb, { ips: ['198.51.100.31'] })]);
      expect(names()).toEqual(['web']);
      expect(view.hasSynced()).toBe(true);
      const changesWhileDown = changes;
      // The API server answers again: the informers resume their watches; the one whose resourceVersion is too
      // old (410 Gone) lists again, and the view holds the new state.
      api.failWith = undefined;
      await expect.poll(names, { timeout: 15_000 }).toEqual(['api']);
      expect(changes).toBeGreaterThan(changesWhileDown);
    } finally {
      stop.abort();
      await view.stop();
      await api.close();
    }
  }, 30_000);
});
