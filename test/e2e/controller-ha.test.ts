/**
 * Two replicas with Lease leader election (lease 3 s, renew 2 s, retry 0.5 s): the leader is
 * SIGKILLed repeatedly and replaced by a fresh replica while Services are created and deleted.
 * Throughout, every Service's status is polled: never two Services holding one IP incompatibly,
 * never a Service renumbered; exactly one replica reports itself leader. IPv6-only Services from
 * 2001:db8:100::d200/120 (used only here).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Churn, StatusWatch } from './support/controller-churn.js';
import {
  type ControllerProcess,
  ingressIPs,
  lbService,
  opsGet,
  waitReady,
} from './support/controller-process.js';
import { electingReplica, leaseHolder, suitePool } from './support/controller-suite.js';
import { deleteObjects } from './support/ironlb.js';
import { kubeClients, type TestNamespace } from './support/kube.js';
import { waitFor } from './support/wait.js';

const POOL = 'ctl-ha';
const ONLY = { 'ironlb.io/ip-pool': POOL };
const KILLS = 6;
const { core, coordination } = kubeClients();
let ns: TestNamespace;
const replicas: ControllerProcess[] = [];
let nextPort = 17490;

function replica(): ControllerProcess {
  const c = electingReplica({ port: nextPort++, prefix: 'ha', leaseNamespace: ns.name });
  replicas.push(c);
  return c;
}

const holder = (): Promise<string> => leaseHolder(coordination, ns.name);

/** Replicas whose /metrics say ironlb_leader 1. */
async function leaders(): Promise<string[]> {
  const live = replicas.filter((r) => !r.exited());
  const says = await Promise.all(live.map(async (r) => (await opsGet(r.port, '/metrics'))?.[1] ?? ''));
  return live.filter((_r, i) => /^ironlb_leader 1$/m.test(says[i] ?? '')).map((r) => r.identity);
}

beforeAll(async () => {
  ns = await suitePool({ prefix: 'ctl-ha', pool: POOL, range: '2001:db8:100::d200/120' });
});

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
  await deleteObjects('ippools', [POOL]);
  await ns.cleanup();
});

describe('controller leader election', () => {
  it(`${KILLS} leader SIGKILLs under churn: no incompatible duplicates, no renumbering`, async () => {
    for (let i = 0; i < 16; i++) {
      await core.createNamespacedService({
        namespace: ns.name,
        body: lbService({ name: `keep-${i}`, annotations: ONLY, ipv6Only: true }),
      });
    }
    const a = replica();
    const b = replica();
    await Promise.all([waitReady(a), waitReady(b)]);
    const first = await waitFor(async () => (await holder()) || undefined, { what: 'a leader' });
    const watch = new StatusWatch({ core, namespace: ns.name });
    await waitFor(async () => (await watch.poll()).every((s) => ingressIPs(s).length > 0), {
      what: 'survivors allocated',
    });
    watch.start(150);
    const churn = new Churn({ core, namespace: ns.name, annotations: ONLY, maxAlive: 25 });
    churn.start(150);
    const failoverMs: number[] = [];
    let current = first;
    for (let k = 0; k < KILLS; k++) {
      expect(await waitFor(async () => ((await leaders()).length === 1 ? leaders() : undefined))).toEqual([
        current,
      ]);
      const victim = replicas.find((r) => r.identity === current && !r.exited());
      expect(victim).toBeDefined();
      await victim?.stop('SIGKILL');
      const killed = performance.now();
      const fresh = replica();
      const next = await waitFor(
        async () => {
          const h = await holder();
          return h !== current && h !== '' ? h : undefined;
        },
        { what: 'a new leader', timeoutMs: 20_000, intervalMs: 100 },
      );
      failoverMs.push(performance.now() - killed);
      current = next;
      await waitReady(fresh);
      await new Promise((r) => setTimeout(r, 500 + Math.random() * 1000));
    }
    await churn.stop();
    const end = await waitFor(
      async () => {
        const items = await watch.poll();
        return items.every((s) => ingressIPs(s).length > 0) ? items.length : undefined;
      },
      { what: 'every Service allocated after the last failover', timeoutMs: 30_000 },
    );
    await watch.stop();
    const sorted = [...failoverMs].sort((x, y) => x - y);
    console.info(
      `kills=${KILLS} churn created=${churn.created} deleted=${churn.deleted} errors=${churn.errors} ` +
        `services at end=${end} polls=${watch.polls} renumbered=${watch.renumbered.length} ` +
        `duplicates=${watch.duplicates.length} failover (kill → new Lease holder) ms: ` +
        `min=${Math.round(sorted[0] ?? 0)} median=${Math.round(sorted[KILLS >> 1] ?? 0)} max=${Math.round(sorted[KILLS - 1] ?? 0)}`,
    );
    expect(watch.duplicates).toEqual([]);
    expect(watch.renumbered).toEqual([]);
    expect(churn.created).toBeGreaterThan(10);
  }, 180_000);
});
