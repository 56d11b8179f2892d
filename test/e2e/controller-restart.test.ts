/**
 * Stability across restarts: the controller is stopped (SIGTERM and SIGKILL alternately) and started
 * 20 times while other Services are created and deleted; every surviving Service keeps its IP (by
 * UID), and no IP is ever held by two Services that may not share it. IPv6-only Services from
 * 2001:db8:100::d100/120 (used only here).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Churn, StatusWatch } from './support/controller-churn.js';
import {
  type ControllerProcess,
  ingressIPs,
  lbService,
  startController,
  waitReady,
} from './support/controller-process.js';
import { suitePool } from './support/controller-suite.js';
import { deleteObjects } from './support/ironlb.js';
import { kubeClients, type TestNamespace } from './support/kube.js';
import { waitFor } from './support/wait.js';

const PORT = 17485;
const POOL = 'ctl-restart';
const ONLY = { 'ironlb.io/ip-pool': POOL };
const { core } = kubeClients();
let ns: TestNamespace;
let controller: ControllerProcess | undefined;

beforeAll(async () => {
  ns = await suitePool({ prefix: 'ctl-restart', pool: POOL, range: '2001:db8:100::d100/120' });
});

afterAll(async () => {
  await controller?.stop('SIGKILL');
  await deleteObjects('ippools', [POOL]);
  await ns.cleanup();
});

async function allAllocated(): Promise<number> {
  return waitFor(
    async () => {
      const list = await core.listNamespacedService({ namespace: ns.name });
      return list.items.every((s) => ingressIPs(s).length > 0) ? list.items.length : undefined;
    },
    { what: 'every Service to have an IP', timeoutMs: 30_000 },
  );
}

describe('controller restarts', () => {
  it('20 restarts under churn: 0 IP changes, 0 incompatible duplicates', async () => {
    // Survivors: 20 plain, one requested IP, a sharing pair (one IP, ports 80 and 443).
    for (let i = 0; i < 20; i++) {
      await core.createNamespacedService({
        namespace: ns.name,
        body: lbService({ name: `keep-${i}`, annotations: ONLY, ipv6Only: true }),
      });
    }
    await core.createNamespacedService({
      namespace: ns.name,
      body: lbService({
        name: 'keep-req',
        annotations: { ...ONLY, 'ironlb.io/load-balancer-ips': '2001:db8:100::d1f0' },
        ipv6Only: true,
      }),
    });
    for (const [name, port] of [
      ['keep-share-a', 80],
      ['keep-share-b', 443],
    ] as const) {
      await core.createNamespacedService({
        namespace: ns.name,
        body: lbService({
          name,
          ports: [port],
          annotations: { ...ONLY, 'ironlb.io/allow-shared-ip': 'pair' },
          ipv6Only: true,
        }),
      });
    }
    controller = startController({ port: PORT });
    await waitReady(controller);
    await allAllocated();
    const watch = new StatusWatch({ core, namespace: ns.name });
    const before = await watch.poll();
    const survivors = new Map(before.map((s) => [s.metadata?.uid ?? '', ingressIPs(s).join(',')]));
    expect(survivors.size).toBe(23);
    watch.start(100);
    const churn = new Churn({ core, namespace: ns.name, annotations: ONLY, maxAlive: 20 });
    churn.start(120);
    const readyMs: number[] = [];
    for (let i = 0; i < 20; i++) {
      await controller.stop(i % 2 === 0 ? 'SIGKILL' : 'SIGTERM');
      await churn.step(); // at least one change while no controller runs
      const t0 = performance.now();
      controller = startController({ port: PORT });
      await waitReady(controller);
      readyMs.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 200 + Math.random() * 400));
    }
    await churn.stop();
    const total = await allAllocated();
    await watch.poll();
    await watch.stop();
    const after = await core.listNamespacedService({ namespace: ns.name });
    let changed = 0;
    for (const s of after.items) {
      const old = survivors.get(s.metadata?.uid ?? '');
      if (old !== undefined && old !== ingressIPs(s).join(',')) changed += 1;
    }
    const sorted = [...readyMs].sort((a, b) => a - b);
    console.info(
      `restarts=20 churn created=${churn.created} deleted=${churn.deleted} errors=${churn.errors} ` +
        `services at end=${total} polls=${watch.polls} survivors changed=${changed} ` +
        `renumbered=${watch.renumbered.length} duplicates=${watch.duplicates.length} ` +
        `start→ready p50=${Math.round(sorted[10] ?? 0)} ms max=${Math.round(sorted[19] ?? 0)} ms`,
    );
    expect(watch.duplicates).toEqual([]);
    expect(watch.renumbered).toEqual([]);
    expect(changed).toBe(0);
    expect(churn.created).toBeGreaterThan(20);
  }, 180_000);
});
