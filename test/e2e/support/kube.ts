import { randomBytes } from 'node:crypto';
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
} from '@kubernetes/client-node';
import { labConfig, labPaths } from '../../lab/config.js';
import { waitFor } from './wait.js';

export interface KubeClients {
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly discovery: DiscoveryV1Api;
  readonly coordination: CoordinationV1Api;
}

/** Path of the lab admin kubeconfig: $KUBECONFIG (set by the e2e global setup), else the lab directory's. */
export function labKubeconfigPath(): string {
  return process.env.KUBECONFIG ?? labPaths(labConfig()).kubeconfig;
}

/** API clients for the lab admin (group system:masters). */
export function kubeClients(): KubeClients {
  const kc = new KubeConfig();
  kc.loadFromFile(labKubeconfigPath());
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    discovery: kc.makeApiClient(DiscoveryV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
  };
}

export function isNotFound(error: unknown): boolean {
  return error instanceof ApiException && error.code === 404;
}

export interface TestNamespace {
  readonly name: string;
  /** Force-deletes the namespace's pods (there is no kubelet to finish graceful deletion), then the namespace. */
  readonly cleanup: () => Promise<void>;
}

/**
 * Creates a fresh namespace `<prefix>-<random>` and waits for its `default` ServiceAccount (pods are rejected until
 * the serviceaccount controller has made it).
 */
export async function createTestNamespace(prefix = 'e2e'): Promise<TestNamespace> {
  const { core } = kubeClients();
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await core.createNamespace({ body: { metadata: { name, labels: { 'ironlb.io/e2e': 'true' } } } });
  await waitFor(
    () => core.readNamespacedServiceAccount({ name: 'default', namespace: name }).then(() => true),
    {
      what: `default ServiceAccount in ${name}`,
      timeoutMs: 20_000,
    },
  );
  const cleanup = async (): Promise<void> => {
    await core
      .deleteCollectionNamespacedPod({ namespace: name, gracePeriodSeconds: 0 })
      .catch(() => undefined);
    await core.deleteNamespace({ name }).catch((error: unknown) => {
      if (!isNotFound(error)) throw error;
    });
  };
  return { name, cleanup };
}
