/* eslint-disable @typescript-eslint/require-await -- fastify handlers and hooks keep their async signatures. */
import { afterEach, describe, expect, it } from 'vitest';
import { KubeApiError } from './api-error.js';
import { mergePatchOptions } from './api-clients.js';
import { createKubeClients, type KubeClients } from './client-factory.js';
import { startFakeApiServer, type FakeApiServer } from './testing/fake-api-server.js';
import { writeFailure } from './write-failure.js';

interface Seen {
  method: string;
  url: string;
  contentType: string | undefined;
  authorization: string | undefined;
  body: unknown;
}

let server: FakeApiServer;
let clients: KubeClients | undefined;
const seen: Seen[] = [];

async function start(delayMs = 0): Promise<FakeApiServer> {
  seen.length = 0;
  server = await startFakeApiServer((app) => {
    app.addContentTypeParser(/^application\/.*json$/u, { parseAs: 'string' }, (_req, body, done) => {
      done(null, JSON.parse(body as string));
    });
    app.addHook('onRequest', async (req) => {
      if (req.headers.authorization !== 'Bearer test-token') throw new Error('no auth');
    });
    app.addHook('preHandler', async (req) => {
      seen.push({
        method: req.method,
        url: req.url,
        contentType: req.headers['content-type'],
        authorization: req.headers.authorization,
        body: req.body,
      });
    });
    app.get('/api/v1/nodes', async () => {
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      return { kind: 'NodeList', metadata: { resourceVersion: '7' }, items: [{ metadata: { name: 'n1' } }] };
    });
    app.patch('/api/v1/namespaces/:ns/services/:name/status', async (req, reply) => {
      const { name } = req.params as { name: string };
      if (name === 'gone')
        return reply.code(404).send({ kind: 'Status', code: 404, message: 'services "gone" not found' });
      if (name === 'moved')
        return reply.code(409).send({ kind: 'Status', code: 409, message: 'the object has been modified' });
      return { metadata: { name, creationTimestamp: '2024-01-01T00:00:00Z' } };
    });
    app.patch('/api/v1/nodes/:name', async (req) => ({
      metadata: { name: (req.params as { name: string }).name },
    }));
    app.post('/apis/coordination.k8s.io/v1/namespaces/:ns/leases', async (_req, reply) =>
      reply.code(403).send({ kind: 'Status', code: 403, message: 'leases is forbidden' }),
    );
    app.put('/apis/coordination.k8s.io/v1/namespaces/:ns/leases/:name', async (req) => req.body);
    // A watch that stays open until the client goes away.
    app.get('/api/v1/pods', (_req, reply) => {
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
  it('builds requests: path, query, method, content type, bearer token, JSON body; answers are plain JSON', async () => {
    await start();
    const c = await pooled(8);
    expect((await c.core.listNode({ labelSelector: 'a=b,c', limit: 5 })).items[0]?.metadata?.name).toBe('n1');
    const svc = await c.core.patchNamespacedServiceStatus(
      { namespace: 'ns 1', name: 'web', body: { status: { loadBalancer: {} } } },
      mergePatchOptions,
    );
    expect(svc.metadata?.creationTimestamp).toBe('2024-01-01T00:00:00Z'); // text, not Date
    await c.core.patchNode({ name: 'n1', body: [{ op: 'add', path: '/x', value: 1 }] });
    const lease = {
      metadata: { name: 'l', resourceVersion: '3' },
      spec: { renewTime: '2024-01-01T00:00:00.000000Z' },
    };
    expect(
      await c.coordination.replaceNamespacedLease({ namespace: 'kube-system', name: 'l', body: lease }),
    ).toEqual(lease);
    expect(seen).toEqual([
      {
        method: 'GET',
        url: '/api/v1/nodes?labelSelector=a%3Db%2Cc&limit=5',
        contentType: undefined,
        authorization: 'Bearer test-token',
        body: undefined,
      },
      {
        method: 'PATCH',
        url: '/api/v1/namespaces/ns%201/services/web/status',
        contentType: 'application/merge-patch+json',
        authorization: 'Bearer test-token',
        body: { status: { loadBalancer: {} } },
      },
      {
        method: 'PATCH',
        url: '/api/v1/nodes/n1',
        contentType: 'application/json-patch+json', // client-node's default without options
        authorization: 'Bearer test-token',
        body: [{ op: 'add', path: '/x', value: 1 }],
      },
      {
        method: 'PUT',
        url: '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/l',
        contentType: 'application/json',
        authorization: 'Bearer test-token',
        body: lease,
      },
    ]);
  });

  it('a non-2xx answer rejects with KubeApiError (status + body); write failures map 404/409/403 as before', async () => {
    await start();
    const c = await pooled(8);
    const patch = (name: string): Promise<unknown> =>
      c.core.patchNamespacedServiceStatus({ namespace: 'a', name, body: {} }, mergePatchOptions);
    const gone = await patch('gone').catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(KubeApiError);
    expect(gone).toMatchObject({ code: 404, body: expect.stringContaining('not found') as string });
    expect(writeFailure(gone)).toEqual({
      kind: 'not-found',
      code: 404,
      message: 'HTTP 404: services "gone" not found',
    });
    expect(writeFailure(await patch('moved').catch((e: unknown) => e))).toEqual({
      kind: 'conflict',
      code: 409,
      message: 'HTTP 409: the object has been modified',
    });
    const forbidden = await c.coordination
      .createNamespacedLease({ namespace: 'a', body: {} })
      .catch((e: unknown) => e);
    expect(writeFailure(forbidden)).toEqual({
      kind: 'error',
      code: 403,
      message: 'HTTP 403: leases is forbidden',
    });
  });

  it('reuses connections for sequential calls', async () => {
    await start();
    const { core } = await pooled(8);
    for (let i = 0; i < 20; i++) await core.listNode();
    expect(server.counters.requests).toBe(20);
    expect(server.counters.handshakes).toBe(1);
  });

  it('bounds sockets under a burst: 60 concurrent calls over at most maxSockets connections', async () => {
    await start(20);
    const c = await pooled(4);
    await Promise.all(Array.from({ length: 60 }, () => c.core.listNode()));
    expect(server.counters.requests).toBe(60);
    expect(server.counters.handshakes).toBeLessThanOrEqual(4);
    expect(server.counters.maxInFlight).toBeLessThanOrEqual(4);
    expect(c.socketStats().requests).toBeLessThanOrEqual(4);
  });

  it('routes watches to their own pool so an open watch cannot starve API calls', async () => {
    await start();
    const c = await pooled(1);
    const ctl = new AbortController();
    const stream = await c.kubeConfig.watch({
      path: '/api/v1/pods',
      query: { resourceVersion: '1' },
      signal: ctl.signal,
    });
    const got = await c.core.listNode();
    expect(got.items).toHaveLength(1);
    expect(c.socketStats()).toEqual({ requests: 1, watches: 1 });
    stream.destroy();
    ctl.abort();
  });

  it('returns a value (not a throw) for an unreadable kubeconfig', async () => {
    await start();
    const made = await createKubeClients({ kubeconfigPath: '/nonexistent/kubeconfig' });
    expect(made.ok).toBe(false);
    if (!made.ok) expect(made.error).toContain('/nonexistent/kubeconfig');
  });
});
