import { afterEach, describe, expect, it } from 'vitest';
import { createKubeClients, type KubeClients } from './client-factory.js';
import { readyzProbe, sharedRecovery } from './readyz-probe.js';
import { startFakeApiServer, type FakeApiServer } from './testing/fake-api-server.js';

let server: FakeApiServer | undefined;
let clients: KubeClients | undefined;

afterEach(async () => {
  await clients?.close();
  await server?.close();
  clients = undefined;
  server = undefined;
});

async function serve(status: () => number): Promise<KubeClients> {
  server = await startFakeApiServer((app) => {
    app.get('/readyz', (req, reply) => {
      expect(req.headers.authorization).toBe('Bearer test-token');
      return reply.code(status()).send(status() === 200 ? 'ok' : '[-]etcd failed');
    });
  });
  const made = await createKubeClients({ kubeconfigYaml: server.kubeconfig });
  if (!made.ok) throw new Error(made.error);
  clients = made.value;
  return clients;
}

describe('readyzProbe', () => {
  it('is true only for 200 from /readyz, with the kubeconfig credentials', async () => {
    let code = 500;
    const c = await serve(() => code);
    const probe = readyzProbe(c.kubeConfig);
    const signal = new AbortController().signal;
    expect(await probe(signal)).toBe(false);
    code = 200;
    expect(await probe(signal)).toBe(true);
    expect(await probe(signal)).toBe(true);
    expect(server?.counters.requests).toBe(3);
  });

  it('is false, not a throw, when nothing listens', async () => {
    const c = await serve(() => 200);
    await server?.close();
    expect(await readyzProbe(c.kubeConfig)(new AbortController().signal)).toBe(false);
  });
});

describe('sharedRecovery', () => {
  it('is one prober per kubeConfig (every informer of a process shares it)', async () => {
    const a = await serve(() => 200);
    expect(sharedRecovery(a.kubeConfig)).toBe(sharedRecovery(a.kubeConfig));
    const b = await createKubeClients({ kubeconfigYaml: server?.kubeconfig });
    if (!b.ok) throw new Error(b.error);
    expect(sharedRecovery(b.value.kubeConfig)).not.toBe(sharedRecovery(a.kubeConfig));
    await b.value.close();
  });
});
