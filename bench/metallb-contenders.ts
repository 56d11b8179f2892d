/**
 * The two controllers of the side-by-side benchmark, each run as a process on the lab with its own pool,
 * loadBalancerClass, Service label and metrics port (the lab is shared; no other suite uses these):
 * - ironlb: `node controller/dist/main.js`, IPPool 2001:db8:5b5:1::/112, class ironlb.io/bench-side-by-side,
 *   and it watches only Services labelled ironlb.io/bench-side-by-side=ironlb (ironlb also serves Services
 *   without a class, so without the selector it would take other suites' Services), port 17620;
 * - MetalLB: the controller built by scripts/build-metallb.sh, IPAddressPool 2001:db8:5b5:2::/112 in the
 *   burst's namespace (its config namespace), --lb-class metallb.io/bench-side-by-side, webhooks off, no
 *   memberlist secret (only speakers read it), port 17621. It caches every Service of the cluster.
 * Both pools only serve the burst's namespace.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** What the runner needs to know to start and drive one controller. */
export interface Contender {
  /** As printed in the table. */
  readonly name: string;
  readonly loadBalancerClass: string;
  readonly label: { readonly key: string; readonly value: string };
  /** Creates the pool (and whatever else it needs) for Services in `namespace`. */
  prepare(namespace: string): void;
  start(namespace: string): ChildProcess;
  /** Resolves once the controller has synced and would allocate; rejects after timeoutMs. */
  ready(timeoutMs: number): Promise<void>;
  /** Removes what prepare created outside the namespace. */
  cleanup(namespace: string): void;
}

export type Kubectl = (args: string[], input?: string) => string;

const LABEL_KEY = 'ironlb.io/bench-side-by-side';
/** ironlb's /metrics, /healthz and /readyz in the benchmark. */
export const IRONLB_METRICS_PORT = 17620;
const METALLB_PORT = 17621;

async function pollUntil(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

const get = (url: string): Promise<{ status: number; body: string }> =>
  fetch(url).then(
    async (r) => ({ status: r.status, body: await r.text() }),
    () => ({ status: 0, body: '' }),
  );

export function ironlbContender(o: {
  kubectl: Kubectl;
  kubeconfig: string;
  /** The directory holding controller/dist (the repository or a clean copy of one commit). */
  root: string;
  nodeOptions: readonly string[];
  /** Extra environment of ironlb's process only (the chart's container env, e.g. MALLOC_ARENA_MAX). */
  env?: Readonly<Record<string, string>>;
}): Contender {
  const pool = (ns: string): string => `${ns}-pool`;
  return {
    name: 'ironlb',
    loadBalancerClass: 'ironlb.io/bench-side-by-side',
    label: { key: LABEL_KEY, value: 'ironlb' },
    prepare(ns) {
      o.kubectl(
        ['apply', '-f', '-'],
        `apiVersion: ironlb.io/v1alpha1\nkind: IPPool\nmetadata: {name: ${pool(ns)}}\nspec:\n` +
          `  addresses: ['2001:db8:5b5:1::/112']\n  serviceAllocation: {priority: 0, namespaces: [${ns}]}\n`,
      );
    },
    start() {
      return spawn(
        process.execPath,
        [
          ...o.nodeOptions,
          'controller/dist/main.js',
          '--metrics-host=127.0.0.1',
          `--metrics-port=${IRONLB_METRICS_PORT}`,
          '--log-level=warn',
          `--service-label-selector=${LABEL_KEY}=ironlb`,
          '--load-balancer-class=ironlb.io/bench-side-by-side',
        ],
        {
          cwd: o.root,
          env: { ...process.env, ...o.env, KUBECONFIG: o.kubeconfig },
          stdio: ['ignore', 'inherit', 'inherit'],
        },
      );
    },
    ready(timeoutMs) {
      return pollUntil('ironlb controller', timeoutMs, async () => {
        return (await get(`http://127.0.0.1:${IRONLB_METRICS_PORT}/readyz`)).status === 200;
      });
    },
    cleanup(ns) {
      o.kubectl(['delete', 'ippool', pool(ns), '--ignore-not-found']);
    },
  };
}

export function metallbContender(o: {
  kubectl: Kubectl;
  kubeconfig: string;
  /** scripts/build-metallb.sh's output directory: controller binary and crds/. */
  dir: string;
  version: string;
}): Contender {
  return {
    name: `MetalLB ${o.version}`,
    loadBalancerClass: 'metallb.io/bench-side-by-side',
    label: { key: LABEL_KEY, value: 'metallb' },
    prepare(ns) {
      o.kubectl(['apply', '--server-side', '--force-conflicts', '-f', `${o.dir}/crds/`]);
      o.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/ipaddresspools.metallb.io']);
      o.kubectl(
        ['apply', '-f', '-'],
        `apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: bench-side-by-side, namespace: ${ns}}\n` +
          `spec:\n  addresses: ['2001:db8:5b5:2::/112']\n  serviceAllocation: {priority: 0, namespaces: [${ns}]}\n`,
      );
    },
    start(ns) {
      return spawn(
        `${o.dir}/controller`,
        [
          `--namespace=${ns}`,
          `--port=${METALLB_PORT}`,
          '--lb-class=metallb.io/bench-side-by-side',
          '--webhook-mode=disabled',
          '--log-level=warn',
          `--kubeconfig=${o.kubeconfig}`,
        ],
        { env: { ...process.env, KUBECONFIG: o.kubeconfig }, stdio: ['ignore', 'inherit', 'inherit'] },
      );
    },
    ready(timeoutMs) {
      // MetalLB's pod is ready when /metrics answers; it has read its pools once config_loaded_bool is 1.
      return pollUntil('MetalLB controller', timeoutMs, async () => {
        const r = await get(`http://127.0.0.1:${METALLB_PORT}/metrics`);
        return r.status === 200 && /^metallb_k8s_client_config_loaded_bool 1$/m.test(r.body);
      });
    },
    cleanup() {
      // The IPAddressPool goes with the namespace; the CRDs stay (other runs may use them).
    },
  };
}

/** The MetalLB build directory (builds it on first use; idempotent). */
export function buildMetallb(root: string, version: string): string {
  const out = execFileSync(`${root}/scripts/build-metallb.sh`, [version], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').at(-1) ?? '';
}
