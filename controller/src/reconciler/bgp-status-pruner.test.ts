import type { KubernetesObject } from '@kubernetes/client-node';
import type { CustomStatusPatch, KubeClients, WriteFailure } from '@ironlb/shared/kube';
import { err, ok, type Result } from '@ironlb/shared';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BgpStatusPruner, type ObjectSource } from './bgp-status-pruner.js';

function source<T>(items: T[], synced = true): ObjectSource<T> & { items: T[]; synced: boolean } {
  return {
    items,
    synced,
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    hasSynced(): boolean {
      return this.synced;
    },
    list(): T[] {
      return this.items;
    },
  };
}

const peerObject = (name: string, nodes: [string, string][]): KubernetesObject =>
  ({
    apiVersion: 'ironlb.io/v1alpha1',
    kind: 'BGPPeer',
    metadata: { name, resourceVersion: '42' },
    status: {
      sessions: nodes.map(([node, state]) => ({ node, state, lastChange: '2026-12-01T06:00:00Z' })),
      summary: 'stale',
    },
  }) as KubernetesObject;

function setup(o: {
  nodes: string[];
  peers: KubernetesObject[];
  results?: Result<unknown, WriteFailure>[];
}): {
  pruner: BgpStatusPruner;
  writes: CustomStatusPatch[];
  clock: { t: number };
  nodes: ReturnType<typeof source<{ name: string }>>;
} {
  const writes: CustomStatusPatch[] = [];
  const results = [...(o.results ?? [])];
  const clock = { t: 0 };
  const nodes = source(o.nodes.map((name) => ({ name })));
  const pruner = new BgpStatusPruner({
    clients: {} as KubeClients,
    logger: pino({ level: 'silent' }),
    graceMs: 30_000,
    sources: { nodes, peers: source(o.peers) },
    write: (_custom, patch) => {
      writes.push(patch);
      return Promise.resolve(results.shift() ?? ok({}));
    },
    now: () => clock.t,
  });
  return { pruner, writes, clock, nodes };
}

describe('BgpStatusPruner', () => {
  it("after the grace time, patches out the deleted node's entry with the peer's resourceVersion and a fresh summary", async () => {
    const t = setup({
      nodes: ['a', 'b'],
      peers: [
        peerObject('router', [
          ['a', 'Established'],
          ['dead', 'Established'],
          ['b', 'Active'],
        ]),
        peerObject('other', [['a', 'Established']]),
      ],
    });
    expect(await t.pruner.pass()).toBe(0);
    t.clock.t = 29_999;
    expect(await t.pruner.pass()).toBe(0);
    expect(t.writes).toEqual([]);
    t.clock.t = 30_000;
    expect(await t.pruner.pass()).toBe(1);
    expect(t.writes).toEqual([
      {
        group: 'ironlb.io',
        version: 'v1alpha1',
        plural: 'bgppeers',
        name: 'router',
        resourceVersion: '42',
        status: {
          sessions: [
            { node: 'a', state: 'Established', lastChange: '2026-12-01T06:00:00Z' },
            { node: 'b', state: 'Active', lastChange: '2026-12-01T06:00:00Z' },
          ],
          summary: '1/2 Established; b Active',
        },
      },
    ]);
  });

  it('the last entry gone: sessions removed (null in the merge patch), summary 0/0', async () => {
    const t = setup({ nodes: [], peers: [peerObject('p', [['dead', 'Idle']])] });
    await t.pruner.pass();
    t.clock.t = 60_000;
    await t.pruner.pass();
    expect(t.writes.map((w) => w.status)).toEqual([{ sessions: null, summary: '0/0 Established' }]);
  });

  it('a node back in the cache within the grace time keeps its entry; a conflict is retried on the next pass', async () => {
    const t = setup({
      nodes: ['a'],
      peers: [peerObject('p', [['late', 'Established']])],
      results: [err({ kind: 'conflict', code: 409, message: 'changed' })],
    });
    await t.pruner.pass();
    t.nodes.items.push({ name: 'late' });
    t.clock.t = 40_000;
    expect(await t.pruner.pass()).toBe(0);
    t.nodes.items.pop();
    await t.pruner.pass();
    t.clock.t = 70_000;
    expect(await t.pruner.pass()).toBe(0);
    expect(await t.pruner.pass()).toBe(1);
    expect(t.writes).toHaveLength(2);
  });

  it('writes nothing before both caches have synced', async () => {
    const t = setup({ nodes: [], peers: [peerObject('p', [['dead', 'Idle']])] });
    t.nodes.synced = false;
    t.clock.t = 100_000;
    await t.pruner.pass();
    await t.pruner.pass();
    expect(t.writes).toEqual([]);
  });
});
