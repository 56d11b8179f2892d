/**
 * kubelet stand-in for one lab node (runs inside the node's namespace, as the node's own identity
 * `system:node:<name>`): registers the Node, renews its Lease in kube-node-lease and posts the Ready condition and
 * InternalIP addresses through the status subresource. Stopping it lets the real node-lifecycle controller mark the
 * node NotReady (Ready=Unknown) after --node-monitor-grace-period.
 *
 * Environment: KUBECONFIG, NODE_NAME, NODE_IPS (comma-separated), LEASE_RENEW_SECONDS, STATUS_UPDATE_SECONDS.
 */
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  PatchStrategy,
  V1MicroTime,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { errorText, exitOnSignals, kubeConfigFromEnv, log, requiredEnv } from './env.js';

const nodeName = requiredEnv('NODE_NAME');
const nodeIps = requiredEnv('NODE_IPS').split(',');
const leaseRenewMs = Number(process.env.LEASE_RENEW_SECONDS ?? '2') * 1000;
const statusUpdateMs = Number(process.env.STATUS_UPDATE_SECONDS ?? '5') * 1000;
const kc = kubeConfigFromEnv();
const core = kc.makeApiClient(CoreV1Api);
const coordination = kc.makeApiClient(CoordinationV1Api);
const LEASE_NAMESPACE = 'kube-node-lease';

function isConflict(error: unknown): boolean {
  return error instanceof ApiException && error.code === 409;
}

/** MicroTime with 6 fractional digits, as the API requires for Lease times. */
function microNow(): string {
  return new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

async function registerNode(): Promise<void> {
  try {
    await core.createNode({
      body: {
        metadata: {
          name: nodeName,
          labels: { 'kubernetes.io/hostname': nodeName, 'kubernetes.io/os': 'linux', 'ironlb.io/lab-node': 'true' },
        },
      },
    });
    log('registered node', { node: nodeName });
  } catch (error) {
    if (!isConflict(error)) throw error;
  }
}

async function ensureLease(): Promise<void> {
  try {
    await coordination.createNamespacedLease({
      namespace: LEASE_NAMESPACE,
      body: {
        metadata: { name: nodeName, namespace: LEASE_NAMESPACE },
        spec: { holderIdentity: nodeName, leaseDurationSeconds: 40, renewTime: new V1MicroTime() },
      },
    });
  } catch (error) {
    if (!isConflict(error)) throw error;
  }
}

async function renewLease(): Promise<void> {
  await coordination.patchNamespacedLease(
    { name: nodeName, namespace: LEASE_NAMESPACE, body: { spec: { holderIdentity: nodeName, renewTime: microNow() } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

let transitioned = false;

async function postStatus(): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const ready: Record<string, string> = {
    type: 'Ready',
    status: 'True',
    reason: 'KubeletReady',
    message: 'ironlb lab kubelet stand-in is posting ready status',
    lastHeartbeatTime: now,
  };
  // The transition time changes only when this process (re)declares the node Ready.
  if (!transitioned) ready.lastTransitionTime = now;
  await core.patchNodeStatus(
    {
      name: nodeName,
      body: {
        status: {
          addresses: [
            ...nodeIps.map((address) => ({ type: 'InternalIP', address })),
            { type: 'Hostname', address: nodeName },
          ],
          conditions: [ready],
          capacity: { cpu: '2', memory: '4Gi', pods: '110' },
          allocatable: { cpu: '2', memory: '4Gi', pods: '110' },
        },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
  transitioned = true;
}

function every(ms: number, what: string, fn: () => Promise<void>): void {
  let busy = false;
  setInterval(() => {
    if (busy) return;
    busy = true;
    fn()
      .catch((error: unknown) => {
        log(`${what} failed`, { error: errorText(error) });
      })
      .finally(() => {
        busy = false;
      });
  }, ms);
}

async function main(): Promise<void> {
  exitOnSignals();
  for (;;) {
    try {
      await registerNode();
      await ensureLease();
      await postStatus();
      break;
    } catch (error) {
      log('startup failed, retrying', { error: errorText(error) });
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  log('ready', { node: nodeName, leaseRenewMs, statusUpdateMs });
  every(leaseRenewMs, 'lease renewal', renewLease);
  every(statusUpdateMs, 'status update', postStatus);
}

await main();
