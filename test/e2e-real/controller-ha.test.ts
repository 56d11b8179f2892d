/**
 * Controller HA on real nodes: the Lease holder's pod is force-deleted (`kubectl delete pod --force
 * --grace-period=0`); the other replica takes the Lease, a Service created right after the deletion gets its IP
 * within a bound, and the IP of the Service that existed before does not change.
 *
 * Isolation: own pool 198.51.100.160/28 (no other suite uses it) in the e2e-real sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELEASE_NAMESPACE } from '../lab/real/helm-install.js';
import { apply, kubeClients, kubectl, waitFor } from '../e2e/support/index.js';
import { setUpEchoService, type EchoService } from './echo-service.js';
import { component, externalIp, ironlbPods, lbService, podProblems, replacedPods } from './support.js';

const inRange = (ip: string): boolean => /^198\.51\.100\.(16\d|17[0-5])$/.test(ip);
/** Lease duration 15 s + retry period 2 s (the chart's defaults), plus time for the new leader to list and write. */
const NEW_IP_BOUND_MS = 30_000;
let echo: EchoService | undefined;

beforeAll(async () => {
  echo = await setUpEchoService({ pool: 'e2e-real-ha', range: '198.51.100.160/28', name: 'echo' });
});

afterAll(async () => {
  await echo?.cleanup();
});

async function leaseHolder(): Promise<string | undefined> {
  const lease = await kubeClients().coordination.readNamespacedLease({
    namespace: RELEASE_NAMESPACE,
    name: 'ironlb-controller',
  });
  return lease.spec?.holderIdentity ?? undefined;
}

describe('controller HA on real nodes', () => {
  it('a new Service gets its IP after the leader pod is force-deleted; existing IPs stay', async () => {
    const { namespace, ip } = echo ?? { namespace: '', ip: '' };
    expect(inRange(ip)).toBe(true);
    const leader = await waitFor(leaseHolder, { what: 'the controller Lease holder', timeoutMs: 60_000 });
    const controllers = (await ironlbPods()).filter((p) => component(p) === 'controller');
    expect(controllers.map((p) => p.metadata?.name)).toContain(leader);
    const deletedAt = Date.now();
    await kubectl(['delete', 'pod', '-n', RELEASE_NAMESPACE, leader, '--force', '--grace-period=0']);
    await apply(lbService({ namespace, name: 'after', policy: 'Cluster' }));
    const newIp = await externalIp({ namespace, name: 'after' });
    const tookMs = Date.now() - deletedAt;
    const newLeader = await waitFor(
      async () => ((await leaseHolder()) === leader ? undefined : leaseHolder()),
      {
        what: `a Lease holder other than ${leader}`,
        timeoutMs: 60_000,
      },
    );
    console.log(
      `[e2e-real] leader ${leader} force-deleted: new Service got ${newIp} after ${tookMs} ms; leader now ${newLeader}`,
    );
    expect(inRange(newIp)).toBe(true);
    expect(newIp).not.toBe(ip);
    expect(tookMs).toBeLessThan(NEW_IP_BOUND_MS);
    const svc = await kubeClients().core.readNamespacedService({ namespace, name: 'echo' });
    expect(svc.status?.loadBalancer?.ingress?.map((i) => i.ip)).toEqual([ip]);
    const controllersNow = await replacedPods({
      component: 'controller',
      gone: leader,
      count: controllers.length,
    });
    expect(controllersNow.map((p) => p.metadata?.name)).not.toContain(leader);
    const pods = await ironlbPods();
    expect(pods.flatMap(podProblems)).toEqual([]);
  }, 600_000);
});
