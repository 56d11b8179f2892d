import { CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { createKubeClients, type KubeClients } from './client-factory.js';
import { startFakeApiServer, type FakeApiServer } from './testing/fake-api-server.js';

const svc = (name: string): object => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z' },
});

let server: FakeApiServer;
let clients: KubeClients | undefined;

async function start(delayMs = 0): Promise<FakeApiServer> {
  server = await startFakeApiServer((app) => {
    app.get<{ Params: { name: string } }>('/api/v1/namespaces/default/services/:name', async (req) => {
      if (req.headers.authorization !== 'Bearer test-token') throw new Error('no auth');
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      return svc(req.params.name);
    });
    // A watch that stays open until the client goes away.
    app.get('/api/v1/namespaces/default/pods', (_req, reply) => {
      reply.raw.writeHead(200, { 'content-type': 'application/json' });
      reply.raw.write('{"type":"ADDED","object":{"metadata":{"name":"p"}}}\n');
    });
  });
  return server;
}

async function pooled(maxSockets: number): Promise<KubeClients> {
  const made = await createKubeClients({ kubeconfigYaml: server.kubeconfig, maxSockets });
  if (!made.ok) throw new Error(made.error);
  clients = made.value;
  return made.value;
}

afterEach(async () => {
  await clients?.close();
  clients = undefined;
  await server.close();
});

describe('createKubeClients', () => {
  it('baseline: the stock KubeConfig makes one TLS handshake per call (why the pool exists)', async () => {
    await start();
    const kc = new KubeConfig();
    kc.loadFromString(server.kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    for (let i = 0; i < 10; i++) await core.readNamespacedService({ name: `s${i}`, namespace: 'default' });
    expect(server.counters.handshakes).toBe(10);
  });

  it('reuses connections for sequential calls and deserializes typed objects', async () => {
    await start();
    const { core } = await pooled(8);
    for (let i = 0; i < 20; i++) {
      const got = await core.readNamespacedService({ name: `s${i}`, namespace: 'default' });
      expect(got.metadata?.name).toBe(`s${i}`);
      expect(got.metadata?.creationTimestamp).toBeInstanceOf(Date);
    }
    expect(server.counters.requests).toBe(20);
    // undici may open a second socket when the next call is dispatched in the same tick the
    // previous response ends; never more than that for strictly sequential calls.
    expect(server.counters.handshakes).toBeLessThanOrEqual(2);
  });

  it('bounds sockets under a burst: 60 concurrent calls over at most maxSockets connections', async () => {
    await start(20);
    const c = await pooled(4);
    const calls = Array.from({ length: 60 }, (_, i) =>
      c.core.readNamespacedService({ name: `s${i}`, namespace: 'default' }),
    );
    await Promise.all(calls);
    expect(server.counters.requests).toBe(60);
    expect(server.counters.handshakes).toBeLessThanOrEqual(4);
    expect(server.counters.maxInFlight).toBeLessThanOrEqual(4);
    expect(c.socketStats().requests).toBeLessThanOrEqual(4);
  });

  it('routes watches to their own pool so an open watch cannot starve API calls', async () => {
    await start();
    const c = await pooled(1);
    const events: string[] = [];
    const watch = new Watch(c.kubeConfig);
    const ctl = await watch.watch(
      '/api/v1/namespaces/default/pods',
      {},
      (type) => events.push(type),
      () => undefined,
    );
    await expect.poll(() => events).toEqual(['ADDED']);
    const got = await c.core.readNamespacedService({ name: 'x', namespace: 'default' });
    expect(got.metadata?.name).toBe('x');
    expect(c.socketStats()).toEqual({ requests: 1, watches: 1 });
    ctl.abort();
  });

  it('returns a value (not a throw) for an unreadable kubeconfig', async () => {
    await start();
    const made = await createKubeClients({ kubeconfigPath: '/nonexistent/kubeconfig' });
    expect(made.ok).toBe(false);
  });
});
