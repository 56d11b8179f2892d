/**
 * Controller on the lab (the lab must be up: `pnpm lab up`; `pnpm build` first).
 * 1. 2,000 LoadBalancer Services created at once (32 concurrent creates): time until all have an
 *    IP, create→status latency per Service from watch timestamps (ADDED event → first event with an
 *    ingress IP), controller RSS.
 * 2. Grown to 10,000 Services: time until all have an IP, RSS; then a controller restart with 10k
 *    Services (time to ready, IP changes).
 * Services are IPv6 SingleStack without node ports (the lab's IPv4 Service CIDR is a /25 and node
 * ports would run out). They carry class ironlb.io/bench and the label ironlb.io/bench=controller; the
 * controller handles that class and watches only labelled Services (the lab is shared: another
 * suite's controller, which handles class-less Services, never touches them, and vice versa).
 * Run: pnpm --filter @ironlb/bench bench:lab-controller
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig, type V1Service, Watch } from '@kubernetes/client-node';
import { limit } from '@ironlb/shared/kube';
import { labConfig, labPaths } from '../test/lab/config.js';
import { registerLabUser, releaseLabUser } from '../test/lab/sharing.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const KUBECONFIG = process.env.KUBECONFIG ?? labPaths(labConfig()).kubeconfig;
const PORT = 17470;
const POOL = 'bench-controller';
const LABEL = 'ironlb.io/bench';
const kc = new KubeConfig();
kc.loadFromFile(KUBECONFIG);
const core = kc.makeApiClient(CoreV1Api);
const ns = `bench-ctl-${randomBytes(3).toString('hex')}`;

function kubectl(args: string[], input?: string): string {
  const bin = join(labConfig().k8sBinDir, 'kubectl');
  return execFileSync(bin, ['--kubeconfig', KUBECONFIG, ...args], {
    encoding: 'utf8',
    ...(input === undefined ? {} : { input }),
  });
}

function startController(): ChildProcess {
  return spawn(
    process.execPath,
    [
      'controller/dist/main.js',
      '--metrics-host=127.0.0.1',
      `--metrics-port=${PORT}`,
      '--log-level=warn',
      `--service-label-selector=${LABEL}=controller`,
      '--load-balancer-class=ironlb.io/bench',
    ],
    { cwd: ROOT, env: { ...process.env, KUBECONFIG }, stdio: ['ignore', 'inherit', 'inherit'] },
  );
}

async function ready(): Promise<void> {
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${PORT}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function rssMiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** Watch timestamps: ADDED (or first seen) and first event carrying an ingress IP, per name. */
class Tracker {
  readonly seen = new Map<string, number>();
  readonly allocated = new Map<string, number>();
  readonly ips = new Map<string, string>();
  #abort: AbortController | undefined;

  async start(): Promise<void> {
    this.#abort = await new Watch(kc).watch(
      `/api/v1/namespaces/${ns}/services`,
      {},
      (_type: string, obj: V1Service) => {
        const now = performance.now();
        const name = obj.metadata?.name ?? '';
        if (!this.seen.has(name)) this.seen.set(name, now);
        const ip = obj.status?.loadBalancer?.ingress?.[0]?.ip;
        if (ip !== undefined && !this.allocated.has(name)) {
          this.allocated.set(name, now);
          this.ips.set(name, ip);
        }
      },
      () => undefined,
    );
  }

  stop(): void {
    this.#abort?.abort();
  }

  async until(n: number): Promise<number> {
    const deadline = performance.now() + 600_000;
    while (this.allocated.size < n) {
      if (performance.now() > deadline)
        throw new Error(`only ${this.allocated.size} of ${n} allocated after 10 min`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return performance.now();
  }

  latencies(names: readonly string[]): number[] {
    return names
      .map((n) => (this.allocated.get(n) ?? NaN) - (this.seen.get(n) ?? NaN))
      .filter((x) => Number.isFinite(x))
      .sort((a, b) => a - b);
  }
}

const pct = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function createServices(from: number, to: number): Promise<string[]> {
  const run = limit(32);
  const names = Array.from({ length: to - from }, (_v, i) => `svc-${from + i}`);
  await Promise.all(
    names.map((name) =>
      run(() =>
        core.createNamespacedService({
          namespace: ns,
          body: {
            metadata: { name, labels: { [LABEL]: 'controller' } },
            spec: {
              type: 'LoadBalancer',
              loadBalancerClass: 'ironlb.io/bench',
              ipFamilyPolicy: 'SingleStack',
              ipFamilies: ['IPv6'],
              allocateLoadBalancerNodePorts: false,
              selector: { app: name },
              ports: [{ port: 80, protocol: 'TCP' }],
            },
          },
        }),
      ),
    ),
  );
  return names;
}

async function phase(o: { tracker: Tracker; from: number; to: number; pid: number }): Promise<void> {
  const t0 = performance.now();
  const names = await createServices(o.from, o.to);
  const created = performance.now();
  const done = await o.tracker.until(o.to);
  const lat = o.tracker.latencies(names);
  const mem = rssMiB(o.pid);
  console.log(
    `${o.to - o.from} Services (total ${o.to}): created in ${((created - t0) / 1000).toFixed(1)} s, ` +
      `all allocated ${((done - t0) / 1000).toFixed(1)} s after the first create; ` +
      `create→status p50 ${pct(lat, 50).toFixed(0)} ms, p99 ${pct(lat, 99).toFixed(0)} ms, max ${pct(lat, 100).toFixed(0)} ms; ` +
      `controller RSS ${mem.rss.toFixed(0)} MiB (peak ${mem.hwm.toFixed(0)} MiB)`,
  );
}

async function restart(o: { controller: ChildProcess; tracker: Tracker }): Promise<ChildProcess> {
  o.controller.kill('SIGTERM');
  await new Promise((r) => o.controller.once('exit', r));
  const t0 = performance.now();
  const next = startController();
  await ready();
  const readyMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 3000));
  const list = await core.listNamespacedService({ namespace: ns });
  const changed = list.items.filter(
    (s) => s.status?.loadBalancer?.ingress?.[0]?.ip !== o.tracker.ips.get(s.metadata?.name ?? ''),
  ).length;
  const mem = rssMiB(next.pid ?? 0);
  console.log(
    `restart with ${list.items.length} Services: ready (synced + reclaimed) ${readyMs.toFixed(0)} ms after spawn; ` +
      `IP changes ${changed}; RSS ${mem.rss.toFixed(0)} MiB`,
  );
  return next;
}

async function main(): Promise<void> {
  // Other runs' teardown leaves the lab up while this process is registered.
  registerLabUser(labConfig());
  kubectl(['apply', '--server-side', '--force-conflicts', '-f', join(ROOT, 'charts/ironlb/crds/')]);
  kubectl(['create', 'namespace', ns]);
  kubectl(
    ['apply', '-f', '-'],
    `apiVersion: ironlb.io/v1alpha1\nkind: IPPool\nmetadata: {name: ${POOL}}\nspec:\n  addresses: ['2001:db8:100:0:1::/112']\n  serviceAllocation: {priority: 0, namespaces: [${ns}]}\n`,
  );
  let controller = startController();
  try {
    await ready();
    const idle = rssMiB(controller.pid ?? 0);
    console.log(`node ${process.version}; controller idle RSS ${idle.rss.toFixed(0)} MiB`);
    const tracker = new Tracker();
    await tracker.start();
    await phase({ tracker, from: 0, to: 2000, pid: controller.pid ?? 0 });
    await phase({ tracker, from: 2000, to: 10_000, pid: controller.pid ?? 0 });
    controller = await restart({ controller, tracker });
    tracker.stop();
  } finally {
    controller.kill('SIGTERM');
    kubectl(['delete', 'namespace', ns, '--wait=false']);
    kubectl(['delete', 'ippool', POOL, '--ignore-not-found']);
    releaseLabUser(labConfig());
  }
}

await main();
