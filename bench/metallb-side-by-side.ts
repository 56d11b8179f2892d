/**
 * ironlb's controller and MetalLB's side by side on the lab (the lab must be up; `pnpm build` first):
 * for each N, the same burst of N LoadBalancer Services against one kube-apiserver, first ironlb's
 * controller alone, then MetalLB's alone, each started fresh in its own namespace with its own class and
 * pool (see metallb-contenders.ts). Prints create→status p50/p99, RSS before → after (median of 5 readings
 * of VmRSS), CPU seconds for the burst (utime+stime), and the ratios. Every Service, namespace and pool it
 * created is deleted after each run (and on SIGINT/SIGTERM).
 *
 * Run: pnpm --filter @ironlb/bench bench:metallb-side-by-side [--counts 500,2000,10000]
 *        [--metallb-version v0.15.2] [--ironlb-node-options "--max-semi-space-size=1 ..."]
 *        [--settle-ms 30000]   (the "RSS settled" reading: this long after the burst's last IP + 1 s)
 *        [--ironlb-env KEY=VALUE ...]   (ironlb's process only, e.g. the chart's MALLOC_ARENA_MAX=2)
 *        [--ironlb-root DIR] [--only ironlb|metallb] [--ironlb-heap-snapshot-dir DIR]
 *
 * --ironlb-heap-snapshot-dir: ironlb runs with --heapsnapshot-signal=SIGUSR2 and, after its "after" readings
 * (so the snapshot changes none of the figures), writes a main-isolate heap snapshot into DIR before it is
 * stopped (`bench:heap-breakdown analyse <file>` breaks it down); its V8 heap metrics are printed too.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { labConfig, labPaths } from '../test/lab/config.js';
import { registerLabUser, releaseLabUser } from '../test/lab/sharing.js';
import { deleteServices, runBurst } from './metallb-burst.js';
import {
  type Contender,
  IRONLB_METRICS_PORT,
  buildMetallb,
  ironlbContender,
  metallbContender,
} from './metallb-contenders.js';
import { type BurstResult, ratiosOf, ratiosTable, resultsTable } from './metallb-table.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

const { values: flags } = parseArgs({
  options: {
    counts: { type: 'string', default: '500,2000' },
    'metallb-version': { type: 'string', default: 'v0.15.2' },
    'ironlb-node-options': { type: 'string', default: '' },
    'ironlb-env': { type: 'string', multiple: true, default: [] },
    'settle-ms': { type: 'string', default: '30000' },
    'ironlb-root': { type: 'string', default: ROOT },
    only: { type: 'string' },
    'ironlb-heap-snapshot-dir': { type: 'string' },
  },
});
const snapshotDir =
  flags['ironlb-heap-snapshot-dir'] === undefined ? undefined : resolve(flags['ironlb-heap-snapshot-dir']);
const ironlbEnv = Object.fromEntries(
  flags['ironlb-env'].map((kv) => {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(kv);
    if (!m) throw new Error(`--ironlb-env: KEY=VALUE, got ${JSON.stringify(kv)}`);
    return [m[1], m[2]];
  }),
) as Record<string, string>;
const settleMs = Number(flags['settle-ms']);
if (!Number.isInteger(settleMs) || settleMs < 0) {
  throw new Error(`--settle-ms: a whole number of milliseconds, got ${JSON.stringify(flags['settle-ms'])}`);
}
const counts = flags.counts.split(',').map((s) => Number(s.trim()));
if (counts.some((n) => !Number.isInteger(n) || n < 1 || n > 60_000)) {
  throw new Error(`--counts: comma-separated integers 1..60000, got ${JSON.stringify(flags.counts)}`);
}
if (flags.only !== undefined && flags.only !== 'ironlb' && flags.only !== 'metallb') {
  throw new Error(`--only: ironlb or metallb, got ${JSON.stringify(flags.only)}`);
}

const lab = labConfig();
const KUBECONFIG = process.env.KUBECONFIG ?? labPaths(lab).kubeconfig;
const kc = new KubeConfig();
kc.loadFromFile(KUBECONFIG);
const core = kc.makeApiClient(CoreV1Api);
const kubectl = (args: string[], input?: string): string =>
  execFileSync(join(lab.k8sBinDir, 'kubectl'), ['--kubeconfig', KUBECONFIG, ...args], {
    encoding: 'utf8',
    ...(input === undefined ? {} : { input }),
  });
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
const runId = randomBytes(3).toString('hex');

/** What is running or exists right now, for the cleanup on exit or signal. */
const live = {
  child: undefined as ChildProcess | undefined,
  namespaces: new Set<string>(),
  cleanups: new Set<() => void>(),
};

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** Retries for a minute: the shared lab's API server may be restarted by another suite meanwhile. */
function deleteNamespace(ns: string): void {
  for (let attempt = 1; ; attempt++) {
    try {
      kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=true', '--timeout=10m']);
      break;
    } catch (e) {
      if (attempt >= 12) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5000);
    }
  }
  live.namespaces.delete(ns);
}

/** SIGUSR2 → a heap snapshot in `dir`; resolves with its path once V8 has finished writing it. */
async function heapSnapshot(pid: number, dir: string): Promise<string> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 600; i++) {
    await sleep(500);
    const file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (file === undefined) continue;
    // Written in chunks: complete once the JSON object is closed (`"strings":[...]}` comes last).
    while (!readFileSync(join(dir, file), 'utf8').trimEnd().endsWith(']}')) await sleep(1000);
    return join(dir, file);
  }
  throw new Error(`no heap snapshot in ${dir} after 300 s`);
}

/** ironlb's own V8 heap metrics (used / committed / external), from its /metrics. */
async function ironlbHeapLine(): Promise<string> {
  const text = await (await fetch(`http://127.0.0.1:${IRONLB_METRICS_PORT}/metrics`)).text();
  const mib = (name: string): string => {
    const m = new RegExp(`^${name} (\\S+)`, 'm').exec(text);
    return m?.[1] === undefined ? '?' : (Number(m[1]) / 1048576).toFixed(1);
  };
  return (
    `heap used ${mib('ironlb_nodejs_heap_size_used_bytes')} / committed ${mib('ironlb_nodejs_heap_size_total_bytes')} MiB, ` +
    `external ${mib('ironlb_nodejs_external_memory_bytes')} MiB`
  );
}

async function runOne(c: Contender, services: number): Promise<BurstResult> {
  const ns = `bench-sbs-${runId}-${c.label.value}-${services}`;
  kubectl(['create', 'namespace', ns]);
  live.namespaces.add(ns);
  const cleanup = (): void => {
    c.cleanup(ns);
  };
  live.cleanups.add(cleanup);
  c.prepare(ns);
  const others = (await core.listServiceForAllNamespaces()).items.length;
  const child = c.start(ns);
  live.child = child;
  child.once('exit', (code, signal) => {
    if (live.child === child) {
      console.error(`${c.name} controller exited (${code ?? signal}) during its run`);
      process.exitCode = 1;
    }
  });
  try {
    await c.ready(120_000);
    console.error(`${c.name}: ready; ${services} Services in ${ns}`);
    const n = await runBurst({
      kc,
      core,
      target: { namespace: ns, loadBalancerClass: c.loadBalancerClass, label: c.label },
      services,
      pid: child.pid ?? 0,
      ticksPerSecond: TICKS_PER_SECOND,
      timeoutMs: 30 * 60_000,
      settleMs,
    });
    const r: BurstResult = {
      controller: c.name,
      services,
      otherServices: others,
      p50Ms: n.p50Ms,
      p99Ms: n.p99Ms,
      allAllocatedMs: n.allAllocatedMs,
      rssBeforeMiB: n.before.rssMiB,
      rssAfterMiB: n.after.rssMiB,
      rssPeakMiB: n.after.peakMiB,
      rssSettledMiB: n.settled.rssMiB,
      settleMs,
      cpuSeconds: n.cpuSeconds,
    };
    console.log(resultsTable([r]).split('\n')[2]);
    const split = (p: { anonMiB: number; fileMiB: number }): string =>
      `${p.anonMiB.toFixed(1)} / ${p.fileMiB.toFixed(1)}`;
    console.log(
      `  ${c.name} RssAnon / RssFile (MiB): before ${split(n.before)}, after ${split(n.after)}, ` +
        `settled ${split(n.settled)}`,
    );
    if (c.label.value === 'ironlb' && snapshotDir !== undefined && child.pid !== undefined) {
      console.log(`ironlb after ${services}: ${await ironlbHeapLine()}`);
      console.log(`ironlb heap snapshot: ${await heapSnapshot(child.pid, snapshotDir)}`);
    }
    return r;
  } finally {
    live.child = undefined;
    await stopChild(child);
    // The next run's controller must not find these Services in its cache (MetalLB caches all of them).
    await deleteServices(core, ns, services);
    deleteNamespace(ns);
    cleanup();
    live.cleanups.delete(cleanup);
  }
}

function onSignal(signal: NodeJS.Signals): void {
  console.error(`${signal}: cleaning up`);
  live.child?.kill('SIGTERM');
  for (const ns of live.namespaces)
    kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
  for (const c of live.cleanups) c();
  releaseLabUser(lab);
  process.exit(130);
}

async function main(): Promise<void> {
  registerLabUser(lab);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const metallbDir = buildMetallb(ROOT, flags['metallb-version']);
    // The controller lists IPPools and L2Announcements (a missing CRD keeps an informer retrying).
    kubectl(['apply', '--server-side', '--force-conflicts', '-f', join(ROOT, 'charts/ironlb/crds/')]);
    const nodeOptions = flags['ironlb-node-options'].split(/\s+/).filter((s) => s !== '');
    if (snapshotDir !== undefined) {
      mkdirSync(snapshotDir, { recursive: true });
      nodeOptions.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshotDir}`);
    }
    const contenders = [
      ironlbContender({
        kubectl,
        kubeconfig: KUBECONFIG,
        root: flags['ironlb-root'],
        nodeOptions,
        env: ironlbEnv,
      }),
      metallbContender({
        kubectl,
        kubeconfig: KUBECONFIG,
        dir: metallbDir,
        version: flags['metallb-version'],
      }),
    ].filter((c) => flags.only === undefined || c.label.value === flags.only);
    const commit = execFileSync('git', ['-C', flags['ironlb-root'], 'rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
    }).trim();
    console.log(
      `node ${process.version}; ironlb ${commit} (${flags['ironlb-root']}), node options: ` +
        `${nodeOptions.join(' ') || 'none'}, env: ${flags['ironlb-env'].join(' ') || 'none'}; MetalLB ${flags['metallb-version']} (${metallbDir}); ` +
        `load average at start ${execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).trim()}`,
    );
    const results: BurstResult[] = [];
    for (const services of counts) {
      for (const c of contenders) results.push(await runOne(c, services));
    }
    console.log(
      `\nload average at end ${execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).trim()}\n`,
    );
    console.log(resultsTable(results));
    const ratios = counts.flatMap((services) => {
      const i = results.find((r) => r.services === services && r.controller === 'ironlb');
      const m = results.find((r) => r.services === services && r.controller !== 'ironlb');
      return i === undefined || m === undefined ? [] : [ratiosOf(i, m)];
    });
    if (ratios.length > 0) console.log(`\n${ratiosTable(ratios)}`);
  } finally {
    releaseLabUser(lab);
  }
}

await main();
