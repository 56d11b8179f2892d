/**
 * kubelet stand-in for one lab node (runs inside the node's namespace, as the node's own identity
 * `system:node:<name>`): registers the Node, renews its Lease in kube-node-lease and posts the Ready condition and
 * InternalIP addresses through the status subresource. Stopping it lets the real node-lifecycle controller mark the
 * node NotReady (Ready=Unknown) after --node-monitor-grace-period.
 *
 * Environment: API_SERVER, CA_FILE, CERT_FILE, KEY_FILE, NODE_NAME, NODE_IPS (comma-separated),
 * LEASE_RENEW_SECONDS, STATUS_UPDATE_SECONDS.
 */
import { apiClientFromEnv, expectOk } from './api.js';
import { errorText, exitOnSignals, log, requiredEnv } from './env.js';

const nodeName = requiredEnv('NODE_NAME');
const nodeIps = requiredEnv('NODE_IPS').split(',');
const leaseRenewMs = Number(process.env.LEASE_RENEW_SECONDS ?? '2') * 1000;
const statusUpdateMs = Number(process.env.STATUS_UPDATE_SECONDS ?? '5') * 1000;
const api = apiClientFromEnv();
const leasePath = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';
const nodeStatusPath = `/api/v1/nodes/${nodeName}/status`;
const MERGE = 'application/merge-patch+json';
const STRATEGIC = 'application/strategic-merge-patch+json';

/** MicroTime with 6 fractional digits, as the API requires for Lease times. */
function microNow(): string {
  return new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function secondsNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

async function registerNode(): Promise<void> {
  const labels = {
    'kubernetes.io/hostname': nodeName,
    'kubernetes.io/os': 'linux',
    'ironlb.io/lab-node': 'true',
  };
  const res = await api.call({
    method: 'POST',
    path: '/api/v1/nodes',
    body: { metadata: { name: nodeName, labels } },
  });
  expectOk(res, 'register node', [409]);
}

async function ensureLease(): Promise<void> {
  const body = {
    metadata: { name: nodeName, namespace: 'kube-node-lease' },
    spec: { holderIdentity: nodeName, leaseDurationSeconds: 40, renewTime: microNow() },
  };
  expectOk(await api.call({ method: 'POST', path: leasePath, body }), 'create lease', [409]);
}

async function renewLease(): Promise<void> {
  const body = { spec: { holderIdentity: nodeName, renewTime: microNow() } };
  const res = await api.call({ method: 'PATCH', path: `${leasePath}/${nodeName}`, body, contentType: MERGE });
  expectOk(res, 'renew lease');
}

/** Addresses and capacity, once per start (a JSON merge patch replaces the address list wholesale). */
async function postAddresses(): Promise<void> {
  const allocatable = { cpu: '2', memory: '4Gi', pods: '110' };
  const addresses = [
    ...nodeIps.map((address) => ({ type: 'InternalIP', address })),
    { type: 'Hostname', address: nodeName },
  ];
  const body = { status: { addresses, capacity: allocatable, allocatable } };
  expectOk(
    await api.call({ method: 'PATCH', path: nodeStatusPath, body, contentType: MERGE }),
    'post addresses',
  );
}

let transitioned = false;

/** The Ready condition (strategic merge: conditions merge by type, other writers' conditions stay). */
async function postStatus(): Promise<void> {
  const now = secondsNow();
  const ready: Record<string, string> = {
    type: 'Ready',
    status: 'True',
    reason: 'KubeletReady',
    message: 'ironlb lab kubelet stand-in is posting ready status',
    lastHeartbeatTime: now,
  };
  // The transition time changes only when this process (re)declares the node Ready.
  if (!transitioned) ready.lastTransitionTime = now;
  const body = { status: { conditions: [ready] } };
  expectOk(
    await api.call({ method: 'PATCH', path: nodeStatusPath, body, contentType: STRATEGIC }),
    'post status',
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
      await postAddresses();
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
