/* eslint-disable @typescript-eslint/require-await -- fastify handlers stand in for API endpoints. */
import type { FastifyReply } from 'fastify';
import { createKubeClients, type KubeClients } from '@ironlb/shared/kube';
import { startFakeApiServer } from '../../../../shared/src/kube/testing/fake-api-server.js';

/** The collections a ClusterView lists and watches. */
export const CLUSTER_PATHS = {
  services: '/api/v1/services',
  slices: '/apis/discovery.k8s.io/v1/endpointslices',
  nodes: '/api/v1/nodes',
  pools: '/apis/ironlb.io/v1alpha1/ippools',
  announcements: '/apis/ironlb.io/v1alpha1/l2announcements',
} as const;

/**
 * A fake kube-apiserver for the speaker's informers that can fail on demand: LISTs answer the current
 * `collections` at the current resourceVersion, watches stay open and silent, `/readyz` answers 200 while
 * healthy. A watch from an older resourceVersion than the current one is answered 410 Gone (the events in
 * between are not kept), as kube-apiserver does once they are compacted: the informer must LIST again.
 */
export interface FakeClusterApi {
  readonly clients: KubeClients;
  /** Items per path; every LIST reads the current array. */
  readonly collections: Record<string, object[]>;
  /** Replaces a collection as a change the open watches do not deliver (a newer resourceVersion). */
  replace(path: string, items: object[]): void;
  /** While set, every LIST, watch and /readyz answers this HTTP status. */
  failWith: number | undefined;
  /** LISTs answered 200 so far, per path. */
  readonly lists: Map<string, number>;
  /** Requests answered with `failWith` so far. */
  failed: number;
  /** Ends every open watch with an ERROR event carrying `code` (what the API server sends on a failure). */
  breakWatches(code: number): void;
  close(): Promise<void>;
}

export async function startFakeClusterApi(collections: Record<string, object[]>): Promise<FakeClusterApi> {
  const watches = new Set<FastifyReply>();
  const lists = new Map<string, number>();
  const api = {
    collections,
    failWith: undefined as number | undefined,
    lists,
    failed: 0,
    version: 10,
  };
  const server = await startFakeApiServer((app) => {
    app.get('/readyz', async (_req, reply) => {
      if (api.failWith === undefined) return 'ok';
      return reply.code(api.failWith).send('not ready');
    });
    for (const path of Object.values(CLUSTER_PATHS)) {
      app.get(path, async (req, reply) => {
        if (api.failWith !== undefined) {
          api.failed += 1;
          return reply.code(api.failWith).send({ kind: 'Status', code: api.failWith, message: 'failing' });
        }
        const query = req.query as Record<string, string>;
        if (query.watch === 'true') {
          if (Number(query.resourceVersion ?? api.version) < api.version)
            return reply.code(410).send({ kind: 'Status', code: 410, message: 'too old resource version' });
          reply.raw.writeHead(200, { 'content-type': 'application/json' });
          reply.raw.flushHeaders();
          watches.add(reply);
          reply.raw.on('close', () => watches.delete(reply));
          return reply;
        }
        lists.set(path, (lists.get(path) ?? 0) + 1);
        return {
          kind: 'List',
          metadata: { resourceVersion: String(api.version) },
          items: api.collections[path] ?? [],
        };
      });
    }
    app.addHook('onClose', async () => {
      for (const w of watches) w.raw.end();
    });
  });
  const made = await createKubeClients({ kubeconfigYaml: server.kubeconfig });
  if (!made.ok) throw new Error(made.error);
  const clients = made.value;
  return Object.assign(api, {
    clients,
    replace: (path: string, items: object[]): void => {
      api.collections[path] = items;
      api.version += 1;
    },
    breakWatches: (code: number): void => {
      for (const w of [...watches]) {
        w.raw.end(
          `${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code, message: 'broken' } })}\n`,
        );
        watches.delete(w);
      }
    },
    close: async (): Promise<void> => {
      await clients.close();
      await server.close();
    },
  });
}
