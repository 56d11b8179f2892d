/* eslint-disable @typescript-eslint/require-await -- fastify handlers stand in for API endpoints. */
import type { FastifyReply } from 'fastify';
import { createKubeClients, type KubeClients } from '@ironlb/shared/kube';
import { createLogger } from '@ironlb/shared/log';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeApiServer, type FakeApiServer } from '../../../shared/src/kube/testing/fake-api-server.js';
import { createControllerMetrics } from '../http/metrics.js';
import { Session } from './session.js';

interface Patch {
  readonly path: string;
  readonly body: {
    metadata?: { resourceVersion?: string; annotations?: Record<string, string | null> };
    status?: { loadBalancer?: { ingress?: { ip: string }[] } };
  };
}

/**
 * A kube-apiserver stand-in with what a session lists, watches and writes: Services, Namespaces,
 * IPPools, L2Announcements (LIST + an open, silent watch), status/annotation/pool-status PATCHes and
 * Event POSTs. `failList` / `failPatch` script errors.
 */
async function fakeCluster(o: {
  services: object[];
  failList?: (path: string) => number | undefined;
  failPatch?: (path: string) => number | undefined;
}): Promise<{
  server: FakeApiServer;
  patches: Patch[];
  lists: string[];
  /** Sends one watch event to every open watch of `path` (a collection path below). */
  push: (path: string, event: { type: 'MODIFIED'; object: object }) => void;
}> {
  const patches: Patch[] = [];
  const lists: string[] = [];
  let rv = 1000;
  const watchesOf = new Map<string, FastifyReply[]>();
  const collections: Record<string, object[]> = {
    '/api/v1/services': o.services,
    '/api/v1/namespaces': [{ metadata: { name: 'shop', resourceVersion: '1' } }],
    '/apis/ironlb.io/v1alpha1/ippools': [
      {
        apiVersion: 'ironlb.io/v1alpha1',
        kind: 'IPPool',
        metadata: { name: 'blue', uid: 'u-blue', generation: 1, creationTimestamp: '2026-01-01T00:00:00Z' },
        spec: { addresses: ['192.0.2.8/30'] },
      },
    ],
    '/apis/ironlb.io/v1alpha1/l2announcements': [
      {
        apiVersion: 'ironlb.io/v1alpha1',
        kind: 'L2Announcement',
        metadata: { name: 'all', uid: 'u-all', generation: 1 },
        spec: { ipPools: ['blue'] },
      },
    ],
  };
  const server = await startFakeApiServer((app) => {
    app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, (_req, body, done) => {
      done(null, JSON.parse(body as string));
    });
    for (const [path, items] of Object.entries(collections)) {
      app.get(path, async (req, reply) => {
        if ((req.query as Record<string, string>).watch === 'true') {
          reply.raw.writeHead(200, { 'content-type': 'application/json' });
          reply.raw.flushHeaders(); // like kube-apiserver: the watch is established before any event
          watchesOf.set(path, [...(watchesOf.get(path) ?? []), reply]);
          return reply;
        }
        lists.push(path);
        const code = o.failList?.(path);
        if (code !== undefined) return reply.code(code).send({ kind: 'Status', code, message: 'scripted' });
        return { kind: 'List', metadata: { resourceVersion: String(rv) }, items };
      });
    }
    app.patch('/*', async (req, reply) => {
      const path = req.url;
      patches.push({ path, body: req.body as Patch['body'] });
      const code = o.failPatch?.(path);
      if (code !== undefined) return reply.code(code).send({ kind: 'Status', code, message: 'scripted' });
      rv += 1;
      return { metadata: { name: path.split('/')[6], namespace: 'shop', resourceVersion: String(rv) } };
    });
    app.post('/apis/events.k8s.io/v1/namespaces/:ns/events', async (req, reply) =>
      reply.code(201).send(req.body),
    );
    app.addHook('preClose', async () => {
      for (const w of [...watchesOf.values()].flat()) w.raw.end();
    });
  });
  const push = (path: string, event: { type: 'MODIFIED'; object: object }): void => {
    for (const w of watchesOf.get(path) ?? []) w.raw.write(`${JSON.stringify(event)}\n`);
  };
  return { server, patches, lists, push };
}

function svc(name: string, ips: string[] = []): object {
  return {
    metadata: {
      name,
      namespace: 'shop',
      uid: `uid-${name}`,
      resourceVersion: '5',
      creationTimestamp: name === 'old' ? '2026-01-01T00:00:00Z' : '2026-02-01T00:00:00Z',
    },
    spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }], selector: { app: name } },
    status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } },
  };
}

let server: FakeApiServer | undefined;
let clients: KubeClients | undefined;
let abort: AbortController | undefined;
let running: Promise<void> | undefined;

afterEach(async () => {
  abort?.abort();
  await running;
  await clients?.close();
  await server?.close();
});

async function runSession(
  cluster: Awaited<ReturnType<typeof fakeCluster>>,
  metrics = createControllerMetrics(),
): Promise<Session> {
  server = cluster.server;
  const made = await createKubeClients({ kubeconfigYaml: server.kubeconfig });
  if (!made.ok) throw new Error(made.error);
  clients = made.value;
  const session = new Session({
    clients,
    logger: createLogger({ name: 'test', level: 'silent' }),
    metrics,
    loadBalancerClass: undefined,
    identity: 'test',
    workers: 2,
    serviceLabelSelector: undefined,
  });
  abort = new AbortController();
  running = session.run(abort.signal);
  return session;
}

const statusOf = (patches: Patch[], name: string): string[][] =>
  patches
    .filter((p) => p.path === `/api/v1/namespaces/shop/services/${name}/status`)
    .map((p) => (p.body.status?.loadBalancer?.ingress ?? []).map((i) => i.ip));

// Generous timeouts: the polls wait up to 10 s on a loaded machine; nothing here measures speed.
describe('Session (fake API server)', { timeout: 30_000 }, () => {
  it('rebuilds from Service status before processing: the holder keeps its IP, a newcomer gets another', async () => {
    const cluster = await fakeCluster({ services: [svc('new'), svc('old', ['192.0.2.9'])] });
    const session = await runSession(cluster);
    expect(session.synced()).toBe(false);
    await expect.poll(() => statusOf(cluster.patches, 'new'), { timeout: 10_000 }).toHaveLength(1);
    expect(session.synced()).toBe(true);
    const [newIps] = statusOf(cluster.patches, 'new');
    expect(newIps).toHaveLength(1);
    expect(newIps).not.toContain('192.0.2.9');
    // The holder's status is already right: only its pool annotation is written.
    expect(statusOf(cluster.patches, 'old')).toEqual([]);
    await expect
      .poll(() => cluster.patches.some((p) => p.path === '/api/v1/namespaces/shop/services/old'))
      .toBe(true);
    await expect
      .poll(() => cluster.patches.some((p) => p.path === '/apis/ironlb.io/v1alpha1/ippools/blue/status'))
      .toBe(true);
  });

  it('a 409 on a status write is retried until it succeeds; a 404 is not retried', async () => {
    let conflicts = 1;
    const cluster = await fakeCluster({
      services: [svc('web'), svc('gone')],
      failPatch: (path) => {
        if (path.endsWith('/services/gone/status')) return 404;
        if (path.endsWith('/services/web/status') && conflicts > 0) {
          conflicts -= 1;
          return 409;
        }
        return undefined;
      },
    });
    await runSession(cluster);
    await expect.poll(() => statusOf(cluster.patches, 'web'), { timeout: 10_000 }).toHaveLength(2);
    const [first, second] = statusOf(cluster.patches, 'web');
    expect(second).toEqual(first);
    // 404 means the Service is gone: the key is done, not retried with backoff (retries would write
    // again after 100, 200, 400, 800, 1600 ms). It may be reconciled once more by the session's
    // config pass (every key is queued when pools or announcements are listed).
    await new Promise((r) => setTimeout(r, 3000));
    const gone = statusOf(cluster.patches, 'gone').length;
    expect(gone).toBeGreaterThan(0);
    expect(gone).toBeLessThanOrEqual(2);
  });

  it('a failing LIST (500) delays sync until the informer recovers; nothing is written before', async () => {
    let failures = 1;
    const cluster = await fakeCluster({
      services: [svc('web')],
      failList: (path) => {
        if (path === '/api/v1/services' && failures > 0) {
          failures -= 1;
          return 500;
        }
        return undefined;
      },
    });
    const session = await runSession(cluster);
    await new Promise((r) => setTimeout(r, 300));
    expect(session.synced()).toBe(false);
    expect(cluster.patches).toEqual([]);
    await expect.poll(() => statusOf(cluster.patches, 'web'), { timeout: 10_000 }).toHaveLength(1);
    expect(cluster.lists.filter((l) => l === '/api/v1/services')).toHaveLength(2);
  });

  it('re-reconciles every Service when a pool spec changes, not when only its status does', async () => {
    const cluster = await fakeCluster({ services: [svc('web'), svc('api')] });
    const metrics = createControllerMetrics();
    await runSession(cluster, metrics);
    await expect.poll(() => statusOf(cluster.patches, 'web'), { timeout: 10_000 }).toHaveLength(1);
    await expect.poll(() => statusOf(cluster.patches, 'api'), { timeout: 10_000 }).toHaveLength(1);
    const reconciles = async (kind: string): Promise<number> => {
      const histogram = (await metrics.registry.getMetricsAsJSON()).find(
        (m) => m.name === 'ironlb_reconcile_duration_seconds',
      );
      // A histogram's JSON values carry metricName (…_bucket / _sum / _count), which MetricValue does not type.
      const values = (histogram?.values ?? []) as {
        metricName?: string;
        labels: { kind?: unknown };
        value: number;
      }[];
      const count = values.find(
        (v) => v.metricName === 'ironlb_reconcile_duration_seconds_count' && v.labels.kind === kind,
      );
      return count?.value ?? 0;
    };
    const pool = (resourceVersion: string, addresses: string[], status: object): object => ({
      apiVersion: 'ironlb.io/v1alpha1',
      kind: 'IPPool',
      metadata: {
        name: 'blue',
        uid: 'u-blue',
        generation: addresses.length,
        resourceVersion,
        creationTimestamp: '2026-01-01T00:00:00Z',
      },
      spec: { addresses },
      status,
    });
    await expect.poll(() => reconciles('config'), { timeout: 10_000 }).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 500));
    const servicesBefore = await reconciles('service');
    const configsBefore = await reconciles('config');
    // What this controller writes after allocations: the counts in status, same spec.
    cluster.push('/apis/ironlb.io/v1alpha1/ippools', {
      type: 'MODIFIED',
      object: pool('2001', ['192.0.2.8/30'], { ipv4: { assigned: 2 } }),
    });
    await expect.poll(() => reconciles('config'), { timeout: 10_000 }).toBe(configsBefore + 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(await reconciles('service')).toBe(servicesBefore);
    // A spec change: both Services are reconciled against the new pool.
    cluster.push('/apis/ironlb.io/v1alpha1/ippools', {
      type: 'MODIFIED',
      object: pool('2002', ['192.0.2.8/30', '192.0.2.16/30'], { ipv4: { assigned: 2 } }),
    });
    await expect
      .poll(() => reconciles('service'), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(servicesBefore + 2);
  });

  it('after the signal aborts, run() returns and nothing more is written', async () => {
    const cluster = await fakeCluster({ services: [svc('web')] });
    await runSession(cluster);
    await expect.poll(() => statusOf(cluster.patches, 'web'), { timeout: 10_000 }).toHaveLength(1);
    abort?.abort();
    await running;
    const count = cluster.patches.length;
    await new Promise((r) => setTimeout(r, 500));
    expect(cluster.patches).toHaveLength(count);
  });
});
