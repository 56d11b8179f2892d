import { afterEach, describe, expect, it } from 'vitest';
import { createKubeClients, type KubeClients } from './client-factory.js';
import { patchCustomStatus, patchServiceStatus } from './status-patch.js';
import { startFakeApiServer, type FakeApiServer } from './testing/fake-api-server.js';

interface Seen {
  method: string;
  url: string;
  contentType: string | undefined;
  body: unknown;
}

let server: FakeApiServer;
let clients: KubeClients;
const seen: Seen[] = [];

async function start(
  reply: (body: { metadata?: { resourceVersion?: string } }) => [number, unknown],
): Promise<void> {
  seen.length = 0;
  server = await startFakeApiServer((app) => {
    app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, (_req, body, done) => {
      done(null, JSON.parse(body as string));
    });
    app.patch('/*', async (req, res) => {
      seen.push({
        method: req.method,
        url: req.url,
        contentType: req.headers['content-type'],
        body: req.body,
      });
      const [code, payload] = reply(req.body as { metadata?: { resourceVersion?: string } });
      return res.code(code).send(payload);
    });
  });
  const made = await createKubeClients({ kubeconfigYaml: server.kubeconfig });
  if (!made.ok) throw new Error(made.error);
  clients = made.value;
}

afterEach(async () => {
  await clients.close();
  await server.close();
});

const conflict = {
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  message: 'Operation cannot be fulfilled on services "web": the object has been modified',
  reason: 'Conflict',
  code: 409,
};

describe('patchServiceStatus', () => {
  it('sends a JSON merge patch to services/{name}/status and returns the typed Service', async () => {
    await start(() => [
      200,
      {
        kind: 'Service',
        metadata: { name: 'web', namespace: 'shop' },
        status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } },
      },
    ]);
    const result = await patchServiceStatus(clients.core, {
      namespace: 'shop',
      name: 'web',
      status: { loadBalancer: { ingress: [{ ip: '192.0.2.10', ipMode: 'VIP' }] } },
      resourceVersion: '41',
    });
    expect(seen).toEqual([
      {
        method: 'PATCH',
        url: '/api/v1/namespaces/shop/services/web/status',
        contentType: 'application/merge-patch+json',
        body: {
          metadata: { resourceVersion: '41' },
          status: { loadBalancer: { ingress: [{ ip: '192.0.2.10', ipMode: 'VIP' }] } },
        },
      },
    ]);
    expect(result.ok && result.value.status?.loadBalancer?.ingress?.[0]?.ip).toBe('192.0.2.10');
  });

  it('returns 409 as a conflict value with the server message', async () => {
    await start(() => [409, conflict]);
    const result = await patchServiceStatus(clients.core, {
      namespace: 'shop',
      name: 'web',
      status: {},
      resourceVersion: '1',
    });
    expect(result).toEqual({
      ok: false,
      error: { kind: 'conflict', code: 409, message: `HTTP 409: ${conflict.message}` },
    });
  });

  it('returns 404 as not-found', async () => {
    await start(() => [404, { kind: 'Status', code: 404, message: 'services "web" not found' }]);
    const result = await patchServiceStatus(clients.core, { namespace: 'shop', name: 'web', status: {} });
    expect(!result.ok && result.error.kind).toBe('not-found');
    expect(seen[0]?.body).toEqual({ status: {} });
  });

  it('returns 5xx as a generic error with its code', async () => {
    await start(() => [503, { kind: 'Status', code: 503, message: 'etcd unavailable' }]);
    const result = await patchServiceStatus(clients.core, { namespace: 'shop', name: 'web', status: {} });
    expect(result).toEqual({
      ok: false,
      error: { kind: 'error', code: 503, message: 'HTTP 503: etcd unavailable' },
    });
  });

  it('returns a network failure (nothing listening) as an error without a code', async () => {
    await start(() => [200, {}]);
    await server.close();
    const result = await patchServiceStatus(clients.core, { namespace: 'shop', name: 'web', status: {} });
    expect(!result.ok && result.error.kind).toBe('error');
    expect(!result.ok && result.error.code).toBeUndefined();
    expect(!result.ok && result.error.message.length).toBeGreaterThan(0);
  });
});

describe('patchCustomStatus', () => {
  it('patches namespaced and cluster-scoped custom resource status subresources', async () => {
    await start(() => [200, { kind: 'IPPool', metadata: { name: 'p' } }]);
    const cluster = await patchCustomStatus(clients.custom, {
      group: 'ironlb.io',
      version: 'v1alpha1',
      plural: 'ippools',
      name: 'p',
      status: { assigned: 3 },
    });
    const namespaced = await patchCustomStatus(clients.custom, {
      group: 'ironlb.io',
      version: 'v1alpha1',
      plural: 'things',
      namespace: 'ns',
      name: 't',
      status: { ok: true },
    });
    expect(cluster.ok && namespaced.ok).toBe(true);
    expect(seen.map((s) => [s.url, s.contentType])).toEqual([
      ['/apis/ironlb.io/v1alpha1/ippools/p/status', 'application/merge-patch+json'],
      ['/apis/ironlb.io/v1alpha1/namespaces/ns/things/t/status', 'application/merge-patch+json'],
    ]);
  });

  it('maps 409, 404 and 5xx of a pool status write like every other write', async () => {
    const codes = [409, 404, 500];
    await start(() => {
      const code = codes.shift() ?? 200;
      return [code, { kind: 'Status', code, message: `status ${code}` }];
    });
    const write = (): ReturnType<typeof patchCustomStatus> =>
      patchCustomStatus(clients.custom, {
        group: 'ironlb.io',
        version: 'v1alpha1',
        plural: 'ippools',
        name: 'p',
        status: {},
        resourceVersion: '3',
      });
    const kinds = [];
    for (let i = 0; i < 3; i++) {
      const r = await write();
      kinds.push(r.ok ? 'ok' : `${r.error.kind} ${r.error.code}`);
    }
    expect(kinds).toEqual(['conflict 409', 'not-found 404', 'error 500']);
    expect(seen[0]?.body).toEqual({ metadata: { resourceVersion: '3' }, status: {} });
  });
});
