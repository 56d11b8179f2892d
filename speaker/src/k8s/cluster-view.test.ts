/* eslint-disable @typescript-eslint/require-await -- fastify handlers stand in for API endpoints. */
import type { FastifyReply } from 'fastify';
import { createKubeClients, type KubeClients } from '@ironlb/shared/kube';
import { createLogger } from '@ironlb/shared/log';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeApiServer, type FakeApiServer } from '../../../shared/src/kube/testing/fake-api-server.js';
import { ClusterView } from './cluster-view.js';

const GV = '/apis/ironlb.io/v1alpha1';
let server: FakeApiServer | undefined;
let clients: KubeClients | undefined;
let abort: AbortController | undefined;

afterEach(async () => {
  abort?.abort();
  await clients?.close();
  await server?.close();
});

/** LIST answers per path and an open, silent watch: what a freshly started speaker sees. */
async function startView(collections: Record<string, object[]>): Promise<ClusterView> {
  const watches: FastifyReply[] = [];
  server = await startFakeApiServer((app) => {
    for (const [path, items] of Object.entries(collections)) {
      app.get(path, async (req, reply) => {
        if ((req.query as Record<string, string>).watch === 'true') {
          reply.raw.writeHead(200, { 'content-type': 'application/json' });
          reply.raw.flushHeaders();
          watches.push(reply);
          return reply;
        }
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
    onChange: () => undefined,
    loadBalancerClass: undefined,
  });
  abort = new AbortController();
  await view.start(abort.signal);
  await expect.poll(() => view.hasSynced(), { timeout: 10_000 }).toBe(true);
  return view;
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
