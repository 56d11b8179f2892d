import type { CoordinationV1Api } from '@kubernetes/client-node';
import { type ControllerProcess, startController } from './controller-process.js';
import { apply, deleteObjects, installCrds } from './ironlb.js';
import { createTestNamespace, type TestNamespace } from './kube.js';

export const LEASE_NAME = 'ironlb-controller';

/**
 * Installs the CRDs, creates a fresh namespace and (re)creates a pool that serves only that
 * namespace, with priority 0: what a controller suite needs before its first Service.
 */
export async function suitePool(o: { prefix: string; pool: string; range: string }): Promise<TestNamespace> {
  await installCrds();
  const ns = await createTestNamespace(o.prefix);
  await deleteObjects('ippools', [o.pool]);
  await apply(`apiVersion: ironlb.io/v1alpha1
kind: IPPool
metadata: {name: ${o.pool}}
spec:
  addresses: ['${o.range}']
  serviceAllocation: {priority: 0, namespaces: [${ns.name}]}
`);
  return ns;
}

/**
 * One controller replica with Lease leader election in `leaseNamespace` (lease 3 s, renew 2 s,
 * retry 0.5 s), identity `<prefix>-<port>`; `args` come after the defaults (later flags win).
 */
export function electingReplica(o: {
  port: number;
  prefix: string;
  leaseNamespace: string;
  args?: readonly string[];
}): ControllerProcess {
  return startController({
    port: o.port,
    identity: `${o.prefix}-${o.port}`,
    args: [
      ...(o.args ?? []),
      '--leader-elect',
      `--lease-namespace=${o.leaseNamespace}`,
      `--lease-name=${LEASE_NAME}`,
      '--lease-duration=3s',
      '--renew-deadline=2s',
      '--retry-period=500ms',
    ],
  });
}

/** The identity holding the suite's Lease ('' when none). */
export async function leaseHolder(coordination: CoordinationV1Api, namespace: string): Promise<string> {
  const lease = await coordination.readNamespacedLease({ name: LEASE_NAME, namespace });
  return lease.spec?.holderIdentity ?? '';
}
