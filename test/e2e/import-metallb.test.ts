/**
 * `ironlb import-metallb` end to end: MetalLB manifests → ironlb resources applied to the real API server →
 * a Service written for MetalLB (its annotations unchanged) gets the IP it asks for.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apply,
  createTestNamespace,
  deleteObjects,
  installCrds,
  kubeClients,
  kubectl,
  serviceEvents,
  waitFor,
  type TestNamespace,
} from './support/index.js';
import {
  E2E_CLASS,
  E2E_LABEL,
  startController,
  type ControllerProcess,
} from './support/controller-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const METALLB = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: e2e-imported
  namespace: metallb-system
spec:
  addresses:
    - 203.0.113.104 - 203.0.113.107
  autoAssign: false
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: e2e-imported
  namespace: metallb-system
spec:
  ipAddressPools: [e2e-imported]
`;

let ns: TestNamespace;
let controller: ControllerProcess;

beforeAll(async () => {
  await installCrds();
  ns = await createTestNamespace('import');
}, 60_000);

afterAll(async () => {
  await controller.stop();
  await ns.cleanup();
  await deleteObjects('l2announcements.ironlb.io', ['e2e-imported']);
  await deleteObjects('ippools.ironlb.io', ['e2e-imported']);
});

describe('ironlb import-metallb on the lab', () => {
  it('translates MetalLB objects that the API server accepts, and a MetalLB-annotated Service gets its IP', async () => {
    const run = spawnSync(process.execPath, ['cli/dist/main.js', 'import-metallb', '-'], {
      cwd: ROOT,
      input: METALLB,
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('kind: IPPool');
    expect(run.stdout).toContain('203.0.113.104-203.0.113.107');
    await apply(run.stdout);
    const pool = await kubectl(['get', 'ippool', 'e2e-imported', '-o', 'jsonpath={.spec.autoAssign}']);
    expect(pool).toBe('false');

    controller = startController({ port: 17466 });
    await apply(`apiVersion: v1
kind: Service
metadata:
  name: from-metallb
  namespace: ${ns.name}
  labels: {${E2E_LABEL}: "true"}
  annotations:
    metallb.universe.tf/address-pool: e2e-imported
    metallb.universe.tf/loadBalancerIPs: 203.0.113.106
spec:
  type: LoadBalancer
  loadBalancerClass: ${E2E_CLASS}
  selector: {app: web}
  ports: [{port: 80}]`);
    const { core } = kubeClients();
    const ip = await waitFor(
      async () =>
        (await core.readNamespacedService({ name: 'from-metallb', namespace: ns.name })).status?.loadBalancer
          ?.ingress?.[0]?.ip,
      { what: 'the requested IP in status', timeoutMs: 30_000 },
    ).catch(async (error: unknown) => {
      const events = await serviceEvents({ namespace: ns.name, name: 'from-metallb' });
      throw new Error(
        `${String(error)}; events: ${events.map((e) => `${e.reason ?? ''}: ${e.message ?? ''}`).join(' | ')}; log: ${controller.logs().slice(-1500)}`,
      );
    });
    expect(ip).toBe('203.0.113.106');
  });
});
