/**
 * An IPPool whose stored spec the parser rejects (stored under a looser schema, as after a chart
 * upgrade that tightens a rule) keeps its Services' addresses across a controller restart and a
 * leader failover: the controller persists the spec in use in status.lastValidSpec and a fresh
 * session seeds the pool from it. 3 IPv6-only Services from 2001:db8:100::d300/120 (used only here),
 * class ironlb.io/e2e-invalid-pool, label ironlb.io/e2e-invalid-pool, ports 17530+.
 *
 * To store the invalid spec, the IPPool CRD is briefly re-applied without the CEL rules on address
 * entries, the spec is patched, and the chart's CRD is applied again (and once more in afterAll).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatusWatch } from './support/controller-churn.js';
import { type ControllerProcess, ingressIPs, lbService, waitReady } from './support/controller-process.js';
import { electingReplica, leaseHolder, suitePool } from './support/controller-suite.js';
import { deleteObjects, installCrds, kubectl } from './support/ironlb.js';
import { kubeClients, type TestNamespace } from './support/kube.js';
import { waitFor } from './support/wait.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const POOL = 'ctl-invalid';
const RANGE = '2001:db8:100::d300/120';
const BAD_ENTRY = '2001:db8:100::d3zz';
const CLASS = 'ironlb.io/e2e-invalid-pool';
const LABEL = 'ironlb.io/e2e-invalid-pool';
const NAMES = ['svc-a', 'svc-b', 'svc-c'];
const { kc, core, coordination } = kubeClients();
const custom = kc.makeApiClient(CustomObjectsApi);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
let ns: TestNamespace;
const replicas: ControllerProcess[] = [];
let nextPort = 17530;

interface PoolJson {
  spec: { addresses: string[] };
  status?: {
    lastValidSpec?: { addresses?: string[] };
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

function replica(): ControllerProcess {
  const c = electingReplica({
    port: nextPort++,
    prefix: 'invalid',
    leaseNamespace: ns.name,
    args: [`--load-balancer-class=${CLASS}`, `--service-label-selector=${LABEL}`],
  });
  replicas.push(c);
  return c;
}

const holder = (): Promise<string> => leaseHolder(coordination, ns.name);

async function readPool(): Promise<PoolJson> {
  return (await custom.getClusterCustomObject({
    group: 'ironlb.io',
    version: 'v1alpha1',
    plural: 'ippools',
    name: POOL,
  })) as PoolJson;
}

async function patchSpec(addresses: string[], dryRun = false): Promise<void> {
  await custom.patchClusterCustomObject(
    {
      group: 'ironlb.io',
      version: 'v1alpha1',
      plural: 'ippools',
      name: POOL,
      body: { spec: { addresses } },
      ...(dryRun ? { dryRun: 'All' } : {}),
    },
    mergePatch,
  );
}

/** The chart's IPPool CRD without the CEL rules on spec.addresses items (an "older chart"). */
function looserCrd(): string {
  const crd = parse(readFileSync(join(ROOT, 'charts/ironlb/crds/ironlb.io_ippools.yaml'), 'utf8')) as {
    spec: { versions: { schema: { openAPIV3Schema: { properties: Record<string, unknown> } } }[] };
  };
  for (const v of crd.spec.versions) {
    const spec = v.schema.openAPIV3Schema.properties.spec as {
      properties: { addresses: { items: Record<string, unknown> } };
    };
    delete spec.properties.addresses.items['x-kubernetes-validations'];
  }
  return stringify(crd);
}

/** Stores an address entry the parser rejects, then restores the strict CRD. */
async function storeInvalidSpec(): Promise<void> {
  try {
    await kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], looserCrd());
    await waitFor(() => patchSpec([RANGE, BAD_ENTRY]).then(() => true), {
      what: 'the looser schema to accept the invalid entry',
      timeoutMs: 20_000,
    });
  } finally {
    await installCrds();
  }
  // The strict rules are back once a dry-run of the same change is rejected again.
  await waitFor(
    () =>
      patchSpec([RANGE, `${BAD_ENTRY}0`], true).then(
        () => false,
        () => true,
      ),
    { what: 'the strict CRD to be served again', timeoutMs: 20_000 },
  );
}

/** The `reclaimed assignments from status` log line of a controller's latest session. */
function reclaimed(c: ControllerProcess): { kept: number; lost: number } | undefined {
  let last: { kept: number; lost: number } | undefined;
  for (const line of c.logs().split('\n')) {
    if (!line.includes('reclaimed assignments from status')) continue;
    try {
      last = JSON.parse(line) as { kept: number; lost: number };
    } catch {
      // a truncated first line
    }
  }
  return last;
}

async function ips(): Promise<Map<string, string>> {
  const list = await core.listNamespacedService({ namespace: ns.name });
  return new Map(list.items.map((s) => [s.metadata?.name ?? '', ingressIPs(s).join(',')]));
}

beforeAll(async () => {
  ns = await suitePool({ prefix: 'ctl-invalid', pool: POOL, range: RANGE });
});

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
  await installCrds();
  await deleteObjects('ippools', [POOL]);
  await ns.cleanup();
});

describe('controller with an IPPool whose stored spec became invalid', () => {
  it('restart and leader failover: 0 IP changes, no IPReassigned', async () => {
    replica();
    replica();
    await Promise.all(replicas.map((r) => waitReady(r, 60_000)));
    for (const name of NAMES) {
      const body = lbService({
        name,
        loadBalancerClass: CLASS,
        annotations: { 'ironlb.io/ip-pool': POOL },
        ipv6Only: true,
      });
      body.metadata = { name, annotations: { 'ironlb.io/ip-pool': POOL }, labels: { [LABEL]: 'true' } };
      await core.createNamespacedService({ namespace: ns.name, body });
    }
    const before = await waitFor(
      async () => {
        const m = await ips();
        return [...m.values()].every((v) => v !== '') && m.size === NAMES.length ? m : undefined;
      },
      { what: 'the 3 Services to get an address' },
    );
    await waitFor(async () => (await readPool()).status?.lastValidSpec?.addresses?.join() === RANGE, {
      what: 'the pool status to carry lastValidSpec',
    });
    const watch = new StatusWatch({ core, namespace: ns.name });
    await watch.poll();
    watch.start(100);

    await storeInvalidSpec();
    expect((await readPool()).spec.addresses).toEqual([RANGE, BAD_ENTRY]);
    const invalid = await waitFor(
      async () => {
        const ready = (await readPool()).status?.conditions?.find((c) => c.type === 'Ready');
        return ready?.reason === 'Invalid' ? ready : undefined;
      },
      { what: 'the pool to report its spec invalid' },
    );
    expect(invalid.message).toContain(`'${BAD_ENTRY}' is not a valid IPv4/IPv6 CIDR, range or address`);
    expect(invalid.message).toContain(`still using the last valid version (generation 1, addresses ${RANGE}`);

    // Restart: every replica is killed; two fresh ones start from the stored objects only.
    await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
    const fresh = [replica(), replica()];
    await Promise.all(fresh.map((r) => waitReady(r, 60_000)));
    const leader = await waitFor(
      async () => {
        const h = await holder();
        return fresh.find((r) => r.identity === h && reclaimed(r) !== undefined);
      },
      { what: 'a fresh replica to lead and reclaim', timeoutMs: 20_000 },
    );
    expect(reclaimed(leader)).toMatchObject({ kept: NAMES.length, lost: 0 });
    await new Promise((r) => setTimeout(r, 2000));

    // Failover: the leader dies; the other replica takes over.
    await leader.stop('SIGKILL');
    const follower = fresh.find((r) => r !== leader);
    expect(follower).toBeDefined();
    await waitFor(async () => (await holder()) === follower?.identity && reclaimed(follower) !== undefined, {
      what: 'the follower to lead and reclaim',
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    expect(follower && reclaimed(follower)).toMatchObject({ kept: NAMES.length, lost: 0 });
    await new Promise((r) => setTimeout(r, 2000));

    await watch.poll();
    await watch.stop();
    const after = await ips();
    const events = await core.listNamespacedEvent({ namespace: ns.name });
    const reassigned = events.items.filter((e) => e.reason === 'IPReassigned').map((e) => e.message);
    const pool = await readPool();
    console.info(
      `polls=${watch.polls} renumbered=${watch.renumbered.length} IPReassigned=${reassigned.length} ` +
        `before=${JSON.stringify([...before])} after=${JSON.stringify([...after])}`,
    );
    expect(watch.renumbered).toEqual([]);
    expect(watch.duplicates).toEqual([]);
    expect(after).toEqual(before);
    expect(reassigned).toEqual([]);
    expect(pool.status?.lastValidSpec?.addresses).toEqual([RANGE]);
    expect(pool.status?.conditions?.find((c) => c.type === 'Ready')?.reason).toBe('Invalid');
  }, 180_000);
});
