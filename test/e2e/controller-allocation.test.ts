/**
 * The controller against the lab's real kube-apiserver: allocation, requests, sharing, dual-stack,
 * exhaustion, bad annotations, aliases, release on delete/type change, pool edits, pool status.
 * Pools are cluster-scoped, so each is restricted to this file's namespaces (198.51.100.160/27 and
 * 2001:db8:100::c000/124 are used only here).
 */
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type V1Service } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ControllerProcess,
  ingressIPs,
  lbService,
  opsGet,
  startController,
  waitReady,
} from './support/controller-process.js';
import { apply, deleteObjects, installCrds, kubectl, serviceEvents, waitForEvent } from './support/ironlb.js';
import { createTestNamespace, kubeClients, type TestNamespace } from './support/kube.js';
import { waitFor } from './support/wait.js';

/** This suite drives the API with client-node (the admin's view), whose patches default to JSON patch. */
const mergePatchOptions = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

const PORT = 17480;
const POOLS = ['ctl-a-main', 'ctl-a-small', 'ctl-a-dual', 'ctl-a-edit', 'ctl-a-overlap'];
const { core, kc } = kubeClients();
const custom = kc.makeApiClient(CustomObjectsApi);
let main: TestNamespace;
let small: TestNamespace;
let dual: TestNamespace;
let controller: ControllerProcess;

function pool(name: string, addresses: string[], namespaces: string[]): string {
  return `apiVersion: ironlb.io/v1alpha1
kind: IPPool
metadata: {name: ${name}}
spec:
  addresses: ${JSON.stringify(addresses)}
  serviceAllocation: {priority: 0, namespaces: ${JSON.stringify(namespaces)}}
`;
}

async function create(ns: string, body: V1Service): Promise<V1Service> {
  return core.createNamespacedService({ namespace: ns, body });
}

async function ipsOf(ns: string, name: string, count = 1): Promise<string[]> {
  return waitFor(
    async () => {
      const ips = ingressIPs(await core.readNamespacedService({ namespace: ns, name }));
      return ips.length >= count ? ips : undefined;
    },
    { what: `${ns}/${name} to get ${count} IP(s)`, timeoutMs: 15_000 },
  );
}

async function eventNote(o: { ns: string; name: string; reason: string; contains: string }): Promise<string> {
  const event = await waitForEvent({
    namespace: o.ns,
    name: o.name,
    reason: o.reason,
    contains: o.contains,
    timeoutMs: 15_000,
  });
  return event.message ?? '';
}

beforeAll(async () => {
  await installCrds();
  [main, small, dual] = await Promise.all([
    createTestNamespace('ctl-a'),
    createTestNamespace('ctl-a-small'),
    createTestNamespace('ctl-a-dual'),
  ]);
  await deleteObjects('ippools', POOLS);
  await deleteObjects('l2announcements', ['ctl-a']);
  await apply(
    [
      pool('ctl-a-main', ['198.51.100.160/28'], [main.name]),
      pool('ctl-a-small', ['198.51.100.176/30'], [small.name]),
      pool('ctl-a-dual', ['198.51.100.180/31', '2001:db8:100::c000/124'], [dual.name]),
      'apiVersion: ironlb.io/v1alpha1\nkind: L2Announcement\nmetadata: {name: ctl-a}\nspec: {ipPools: [ctl-a-main, ctl-a-dual]}\n',
    ].join('---\n'),
  );
  controller = startController({ port: PORT });
  await waitReady(controller);
});

afterAll(async () => {
  await controller.stop('SIGTERM');
  if (process.env.IRONLB_E2E_LOGS === '1') process.stdout.write(controller.logs());
  await deleteObjects('ippools', POOLS);
  await deleteObjects('l2announcements', ['ctl-a']);
  await Promise.all([main.cleanup(), small.cleanup(), dual.cleanup()]);
});

describe('controller on the lab', () => {
  it('allocates: status, kubectl get svc, pool annotation, IPAllocated event', async () => {
    await create(main.name, lbService({ name: 'web' }));
    const [ip] = await ipsOf(main.name, 'web');
    expect(ip).toBe('198.51.100.160');
    const svc = await core.readNamespacedService({ namespace: main.name, name: 'web' });
    expect(svc.status?.loadBalancer?.ingress?.[0]).toMatchObject({ ip, ipMode: 'VIP' });
    expect(svc.metadata?.annotations?.['ironlb.io/allocated-from-pool']).toBe('ctl-a-main');
    const table = await kubectl(['get', 'svc', '-n', main.name, 'web']);
    expect(table).toContain('198.51.100.160');
    const describe = await waitFor(
      async () => {
        const out = await kubectl(['describe', 'svc', '-n', main.name, 'web']);
        return out.includes('IPAllocated') ? out : undefined;
      },
      { what: 'IPAllocated in kubectl describe' },
    );
    expect(describe).toContain('Assigned IP 198.51.100.160 from IPPool ctl-a-main');
  });

  it('honours spec.loadBalancerIP, the ironlb annotation and the MetalLB aliases', async () => {
    await create(main.name, lbService({ name: 'legacy', loadBalancerIP: '198.51.100.169' }));
    await create(
      main.name,
      lbService({ name: 'annotated', annotations: { 'ironlb.io/load-balancer-ips': '198.51.100.170' } }),
    );
    await create(
      main.name,
      lbService({
        name: 'metallb',
        annotations: { 'metallb.universe.tf/loadBalancerIPs': '198.51.100.171' },
      }),
    );
    await create(
      main.name,
      lbService({
        name: 'metallb-pool',
        annotations: {
          'metallb.io/address-pool': 'ctl-a-main',
          'metallb.io/loadBalancerIPs': '198.51.100.172',
        },
      }),
    );
    expect(await ipsOf(main.name, 'legacy')).toEqual(['198.51.100.169']);
    expect(await ipsOf(main.name, 'annotated')).toEqual(['198.51.100.170']);
    expect(await ipsOf(main.name, 'metallb')).toEqual(['198.51.100.171']);
    expect(await ipsOf(main.name, 'metallb-pool')).toEqual(['198.51.100.172']);
  });

  it('shares an IP under one key with distinct ports; a clashing port stays pending with the reason', async () => {
    const key = { 'ironlb.io/allow-shared-ip': 'k1' };
    await create(main.name, lbService({ name: 'share-a', ports: [80], annotations: key }));
    const [ip] = await ipsOf(main.name, 'share-a');
    await create(main.name, lbService({ name: 'share-b', ports: [443], annotations: key }));
    expect(await ipsOf(main.name, 'share-b')).toEqual([ip]);
    await create(
      main.name,
      lbService({
        name: 'share-c',
        ports: [80],
        annotations: { ...key, 'ironlb.io/load-balancer-ips': ip ?? '' },
      }),
    );
    const note = await eventNote({
      ns: main.name,
      name: 'share-c',
      reason: 'AllocationFailed',
      contains: 'held by',
    });
    expect(note).toMatch(new RegExp(`requested IP ${ip} is held by ${main.name}/share-a: port TCP/80`));
    const c = await core.readNamespacedService({ namespace: main.name, name: 'share-c' });
    expect(ingressIPs(c)).toEqual([]);
  });

  it('gives a RequireDualStack Service an IPv4 and an IPv6 address', async () => {
    await create(
      dual.name,
      lbService({ name: 'both', ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] }),
    );
    expect(await ipsOf(dual.name, 'both', 2)).toEqual(['198.51.100.180', '2001:db8:100::c000']);
  });

  it('reports an exhausted pool, not-announced pools, and frees an IP on delete and on type change', async () => {
    // An explicit pool: other suites' pools may serve every namespace.
    const only = { 'ironlb.io/ip-pool': 'ctl-a-small' };
    for (const name of ['s1', 's2', 's3', 's4', 's5'])
      await create(small.name, lbService({ name, annotations: only }));
    for (const name of ['s1', 's2', 's3', 's4']) await ipsOf(small.name, name);
    const note = await eventNote({
      ns: small.name,
      name: 's5',
      reason: 'AllocationFailed',
      contains: 'exhausted',
    });
    expect(note).toBe('IPPool ctl-a-small exhausted (4 of 4 IPv4 addresses assigned)');
    const silent = await eventNote({
      ns: small.name,
      name: 's1',
      reason: 'NotAnnounced',
      contains: 'not announced',
    });
    expect(silent).toBe(
      '198.51.100.176 from pool ctl-a-small is not announced: no L2Announcement selects pool ctl-a-small',
    );
    const [freed] = await ipsOf(small.name, 's2');
    await core.deleteNamespacedService({ namespace: small.name, name: 's2' });
    expect(await ipsOf(small.name, 's5')).toEqual([freed]);
    await create(small.name, lbService({ name: 's6', annotations: only }));
    await eventNote({ ns: small.name, name: 's6', reason: 'AllocationFailed', contains: 'exhausted' });
    const [typeFreed] = await ipsOf(small.name, 's3');
    await core.patchNamespacedService(
      { namespace: small.name, name: 's3', body: { spec: { type: 'ClusterIP' } } },
      mergePatchOptions,
    );
    expect(await ipsOf(small.name, 's6')).toEqual([typeFreed]);
  });

  it('bad annotation: InvalidAnnotation event, the controller keeps running and allocating', async () => {
    await create(
      main.name,
      lbService({ name: 'bad', annotations: { 'ironlb.io/load-balancer-ips': '198.51.100.300' } }),
    );
    const note = await eventNote({
      ns: main.name,
      name: 'bad',
      reason: 'InvalidAnnotation',
      contains: 'not a valid',
    });
    expect(note).toContain("'198.51.100.300' is not a valid IPv4 or IPv6 address");
    expect(controller.exited()).toBe(false);
    await create(main.name, lbService({ name: 'after-bad' }));
    expect((await ipsOf(main.name, 'after-bad')).length).toBe(1);
    expect((await opsGet(PORT, '/healthz'))?.[0]).toBe(200);
  });

  it('ignores other classes without events', async () => {
    await create(main.name, lbService({ name: 'foreign', loadBalancerClass: 'example.com/other' }));
    await create(main.name, lbService({ name: 'default-class', loadBalancerClass: 'ironlb.io/ironlb' }));
    await create(main.name, lbService({ name: 'marker' }));
    await ipsOf(main.name, 'marker');
    for (const name of ['foreign', 'default-class']) {
      const svc = await core.readNamespacedService({ namespace: main.name, name });
      expect(ingressIPs(svc)).toEqual([]);
      expect(await serviceEvents({ namespace: main.name, name })).toEqual([]);
    }
  });

  it('moves a Service only when its IP leaves the pool, with IPReassigned old → new and why', async () => {
    await apply(pool('ctl-a-edit', ['198.51.100.184/30'], [small.name]));
    await create(
      small.name,
      lbService({ name: 'mover', annotations: { 'ironlb.io/ip-pool': 'ctl-a-edit' } }),
    );
    expect(await ipsOf(small.name, 'mover')).toEqual(['198.51.100.184']);
    await apply(pool('ctl-a-edit', ['198.51.100.184/30', '198.51.100.188/30'], [small.name]));
    await apply(pool('ctl-a-edit', ['198.51.100.188/30'], [small.name]));
    const note = await eventNote({
      ns: small.name,
      name: 'mover',
      reason: 'IPReassigned',
      contains: 'changed',
    });
    expect(note).toBe(
      'IP changed from 198.51.100.184 to 198.51.100.188: 198.51.100.184 is no longer in any IPPool',
    );
    expect(await ipsOf(small.name, 'mover')).toEqual(['198.51.100.188']);
  });

  it('writes pool status: counts per family, Ready, Overlap on the newer pool', async () => {
    await apply(pool('ctl-a-overlap', ['198.51.100.168/29'], [main.name]));
    const status = await waitFor(
      async () => {
        const p = (await custom.getClusterCustomObject({
          group: 'ironlb.io',
          version: 'v1alpha1',
          plural: 'ippools',
          name: 'ctl-a-overlap',
        })) as { status?: { conditions?: { reason: string; status: string; message: string }[] } };
        return p.status?.conditions?.[0]?.reason === 'Overlap' ? p.status : undefined;
      },
      { what: 'Overlap condition on ctl-a-overlap' },
    );
    expect(status.conditions?.[0]).toMatchObject({
      status: 'False',
      message: 'addresses overlap with older pool ctl-a-main (198.51.100.168-198.51.100.175)',
    });
    const mainPool = await waitFor(
      async () => {
        const p = (await custom.getClusterCustomObject({
          group: 'ironlb.io',
          version: 'v1alpha1',
          plural: 'ippools',
          name: 'ctl-a-small',
        })) as { status?: Record<string, unknown> };
        return (p.status?.assigned as { ipv4?: string } | undefined)?.ipv4 === '4' ? p.status : undefined;
      },
      { what: 'ctl-a-small assigned 4' },
    );
    expect(mainPool).toMatchObject({
      capacity: { ipv4: '4', ipv6: '0' },
      assigned: { ipv4: '4', ipv6: '0' },
      available: { ipv4: '0', ipv6: '0' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'Valid' }],
    });
    const metrics = (await opsGet(PORT, '/metrics'))?.[1] ?? '';
    expect(metrics).toContain('ironlb_pool_assigned{pool="ctl-a-small",family="ipv4"} 4');
    expect(metrics).toMatch(/ironlb_allocation_failures_total\{reason="PoolsExhausted"\} \d+/);
    expect(metrics).toContain('ironlb_reconcile_duration_seconds_bucket');
  });
});
