import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LabConfig } from './config.js';
import { apiserverUrl, labPaths } from './config.js';
import type { ProcessRecord } from './processes.js';
import { isAlive, readLiveRecord, startDetached, stopRecorded } from './processes.js';
import { POD_CLUSTER_CIDRS, POD_NODE_MASK_SIZES } from './real/node-files.js';

/**
 * etcd (plain HTTP on loopback only), kube-apiserver (TLS on [2001:db8::1] only, Node+RBAC) and
 * kube-controller-manager (health on 127.0.0.1 only), each a detached process recorded in the lab's pid directory.
 */
export type ComponentName = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler';

export interface StartResult {
  readonly name: string;
  readonly pid: number;
  /** False when it was already running (idempotent `up`). */
  readonly started: boolean;
}

function etcdArgv(config: LabConfig): string[] {
  const client = `http://127.0.0.1:${config.etcdClientPort}`;
  const peer = `http://127.0.0.1:${config.etcdPeerPort}`;
  return [
    config.etcdBin,
    '--name=ilb-lab',
    `--data-dir=${labPaths(config).etcdData}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=ilb-lab=${peer}`,
    '--log-level=warn',
  ];
}

function apiserverArgv(config: LabConfig): string[] {
  const pki = labPaths(config).pki;
  const issuer = 'https://kubernetes.default.svc.cluster.local';
  return [
    join(config.k8sBinDir, 'kube-apiserver'),
    `--etcd-servers=http://127.0.0.1:${config.etcdClientPort}`,
    `--bind-address=${config.hostIpv6}`,
    // The advertised address must match the primary (IPv4) service family. It only ends up as data in the
    // `kubernetes` Service's endpoints; nothing in the lab connects to it.
    `--advertise-address=${config.apiserverAdvertiseIpv4}`,
    `--secure-port=${config.apiserverPort}`,
    `--tls-cert-file=${join(pki, 'apiserver.crt')}`,
    `--tls-private-key-file=${join(pki, 'apiserver.key')}`,
    `--client-ca-file=${join(pki, 'ca.crt')}`,
    `--service-account-key-file=${join(pki, 'sa.pub')}`,
    `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
    `--service-account-issuer=${issuer}`,
    `--api-audiences=${issuer}`,
    `--service-cluster-ip-range=${config.serviceCidrs.join(',')}`,
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    '--profiling=false',
    ...(config.mode === 'real'
      ? [
          // Real kubelets (logs, exec): reached at their first InternalIP (IPv6), as the lab admin.
          '--kubelet-preferred-address-types=InternalIP',
          `--kubelet-client-certificate=${join(pki, 'admin.crt')}`,
          `--kubelet-client-key=${join(pki, 'admin.key')}`,
        ]
      : []),
  ];
}

function controllerManagerArgv(config: LabConfig): string[] {
  const { pki, kubeconfigFor } = labPaths(config);
  const kubeconfig = kubeconfigFor('kube-controller-manager');
  return [
    join(config.k8sBinDir, 'kube-controller-manager'),
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${config.controllerManagerPort}`,
    [
      '--controllers=endpointslice-controller',
      'node-lifecycle-controller',
      'serviceaccount-token-controller',
      'serviceaccount-controller',
      'namespace-controller',
      'garbage-collector-controller',
      // Real pods mount the kube-root-ca.crt ConfigMap (projected service-account volume); workloads (Helm).
      ...(config.mode === 'real'
        ? [
            'root-ca-certificate-publisher-controller',
            'deployment-controller',
            'replicaset-controller',
            'daemonset-controller',
            // Node CIDRs: each Node gets an IPv4 /28 and an IPv6 /64 in spec.podCIDRs; the kubelet passes them
            // to containerd, which renders the node's CNI config (see real/node-files.ts).
            'node-ipam-controller',
          ]
        : []),
    ].join(','),
    ...(config.mode === 'real'
      ? [
          '--allocate-node-cidrs=true',
          `--cluster-cidr=${POD_CLUSTER_CIDRS.ipv4},${POD_CLUSTER_CIDRS.ipv6}`,
          `--node-cidr-mask-size-ipv4=${POD_NODE_MASK_SIZES.ipv4}`,
          `--node-cidr-mask-size-ipv6=${POD_NODE_MASK_SIZES.ipv6}`,
        ]
      : []),
    '--use-service-account-credentials=true',
    `--service-account-private-key-file=${join(pki, 'sa.key')}`,
    `--root-ca-file=${join(pki, 'ca.crt')}`,
    '--leader-elect=false',
    // NotReady within grace + period (+ watch latency) of the last Lease renewal / status post.
    `--node-monitor-grace-period=${config.nodeMonitorGracePeriodSeconds}s`,
    `--node-monitor-period=${config.nodeMonitorPeriodSeconds}s`,
    `--node-startup-grace-period=${config.nodeMonitorGracePeriodSeconds * 2}s`,
    '--kube-api-qps=100',
    '--kube-api-burst=200',
    '--profiling=false',
  ];
}

function probe(url: string, tls?: { ca: Buffer; cert: Buffer; key: Buffer }): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const done = (ok: boolean): void => {
      resolvePromise(ok);
    };
    const options = { timeout: 2_000, ...(tls ?? { rejectUnauthorized: false }) };
    const req = (url.startsWith('https:') ? request : httpRequest)(url, options, (res) => {
      res.resume();
      done(res.statusCode === 200);
    });
    req.on('error', () => {
      done(false);
    });
    req.on('timeout', () => {
      req.destroy();
    });
    req.end();
  });
}

async function waitHealthy(options: {
  record: ProcessRecord;
  url: string;
  timeoutMs: number;
}): Promise<void> {
  const { record } = options;
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (await probe(options.url)) return;
    if (!isAlive(record)) throw new Error(`${record.name} exited during startup; see ${record.log}`);
    await sleep(100);
  }
  throw new Error(
    `${record.name} not healthy at ${options.url} after ${options.timeoutMs} ms; see ${record.log}`,
  );
}

/** Resolves to whether nothing listens on host:port (we could bind it ourselves). */
function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.once('error', () => {
      resolvePromise(false);
    });
    server.listen({ host, port, exclusive: true }, () => {
      server.close(() => {
        resolvePromise(true);
      });
    });
  });
}

/**
 * How long a port may stay bound after this lab's own process on it was stopped. A multi-threaded process whose
 * main thread has exited reads as a zombie (stopRecorded then sees it gone) while its other threads can still hold
 * its sockets for a moment: once in CI, restartControllerManager found kube-controller-manager's port still bound.
 */
const PORT_RELEASE_MS = 5_000;

/** Resolves to whether host:port became free within `timeoutMs` (polled every 100 ms). */
async function portFreeWithin(host: string, port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await portFree(host, port)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
}

async function ensureComponent(
  config: LabConfig,
  component: { name: ComponentName; argv: string[]; healthUrl: string; ports: readonly [string, number][] },
): Promise<StartResult> {
  const { pids, logs } = labPaths(config);
  const running = readLiveRecord(pids, component.name);
  if (running) return { name: component.name, pid: running.pid, started: false };
  for (const [host, port] of component.ports) {
    if (!(await portFreeWithin(host, port, PORT_RELEASE_MS))) {
      throw new Error(
        `${component.name}: ${host}:${port} is already in use by a process that is not this lab's`,
      );
    }
  }
  const record = startDetached({ name: component.name, argv: component.argv, pidDir: pids, logDir: logs });
  await waitHealthy({ record, url: component.healthUrl, timeoutMs: 60_000 });
  return { name: component.name, pid: record.pid, started: true };
}

/** Throws with a hint when etcd or the Kubernetes binaries are missing. */
export function checkBinaries(config: LabConfig): void {
  const bins = [
    config.etcdBin,
    ...['kube-apiserver', 'kube-controller-manager'].map((b) => join(config.k8sBinDir, b)),
  ];
  const missing = bins.filter((b) => !existsSync(b));
  if (missing.length > 0) {
    throw new Error(
      `lab: missing ${missing.join(', ')}; run scripts/toolchain.sh (builds them via test/lab/scripts/build-k8s.sh) ` +
        'or point IRONLB_K8S_BIN_DIR / IRONLB_ETCD at existing binaries',
    );
  }
}

/** Starts etcd, then kube-apiserver, unless running; waits for each to be healthy. */
export async function ensureStorageAndApiserver(config: LabConfig): Promise<StartResult[]> {
  const etcd = await ensureComponent(config, {
    name: 'etcd',
    argv: etcdArgv(config),
    healthUrl: `http://127.0.0.1:${config.etcdClientPort}/health`,
    ports: [
      ['127.0.0.1', config.etcdClientPort],
      ['127.0.0.1', config.etcdPeerPort],
    ],
  });
  const apiserver = await ensureApiserver(config);
  return [etcd, apiserver];
}

/** Starts kube-apiserver (same flags, same etcd) unless it runs; resolves once /readyz answers 200. */
export function ensureApiserver(config: LabConfig): Promise<StartResult> {
  return ensureComponent(config, {
    name: 'kube-apiserver',
    argv: apiserverArgv(config),
    healthUrl: `${apiserverUrl(config)}/readyz`,
    ports: [[config.hostIpv6, config.apiserverPort]],
  });
}

/**
 * Stops kube-apiserver with `signal` (default SIGKILL: a crash, its connections reset; SIGTERM: a graceful
 * shutdown) and waits until the process is gone. Everything else keeps running. False when it was not running.
 * Every user of the shared lab loses the API server until `ensureApiserver` (or the next `up`) starts it again.
 */
export function stopApiserver(
  config: LabConfig,
  signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL',
): Promise<boolean> {
  return stopRecorded({ pidDir: labPaths(config).pids, name: 'kube-apiserver', signal });
}

/** Starts kube-controller-manager unless running; waits for /healthz. Needs a ready apiserver. */
export function ensureControllerManager(config: LabConfig): Promise<StartResult> {
  return ensureComponent(config, {
    name: 'kube-controller-manager',
    argv: controllerManagerArgv(config),
    healthUrl: `https://127.0.0.1:${config.controllerManagerPort}/healthz`,
    ports: [['127.0.0.1', config.controllerManagerPort]],
  });
}

/**
 * Restarts a running kube-controller-manager (SIGTERM, then start and wait for /healthz). After a
 * kube-apiserver restart the controller-manager's watches hit the new server before its authorizer has
 * synced, get 403 and back off for tens of seconds, so service accounts, EndpointSlices and node status lag
 * for the suites that follow; a restart gives it fresh watches at once. No-op when it is not running.
 */
export async function restartControllerManager(config: LabConfig): Promise<void> {
  if (
    !(await stopRecorded({
      pidDir: labPaths(config).pids,
      name: 'kube-controller-manager',
      signal: 'SIGTERM',
    }))
  )
    return;
  await ensureControllerManager(config);
}

/** Real mode only: kube-scheduler (health on 127.0.0.1 only), built by scripts/build-node-bins.sh. */
export function ensureScheduler(config: LabConfig): Promise<StartResult> {
  const kubeconfig = labPaths(config).kubeconfigFor('kube-scheduler');
  return ensureComponent(config, {
    name: 'kube-scheduler',
    argv: [
      join(config.nodeBinDir, 'kube-scheduler'),
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${SCHEDULER_PORT}`,
      '--leader-elect=false',
      '--profiling=false',
    ],
    healthUrl: `https://127.0.0.1:${SCHEDULER_PORT}/healthz`,
    ports: [['127.0.0.1', SCHEDULER_PORT]],
  });
}

const SCHEDULER_PORT = 42259;

/** True when the apiserver answers /readyz for the admin identity. */
export function apiserverReady(config: LabConfig): Promise<boolean> {
  const pki = labPaths(config).pki;
  try {
    const tls = {
      ca: readFileSync(join(pki, 'ca.crt')),
      cert: readFileSync(join(pki, 'admin.crt')),
      key: readFileSync(join(pki, 'admin.key')),
    };
    return probe(`${apiserverUrl(config)}/readyz`, tls);
  } catch {
    return Promise.resolve(false);
  }
}
