/**
 * The burst of the side-by-side benchmark, run the same way against either controller: N LoadBalancer
 * Services created at once (32 concurrent creates) in one namespace, create→status latency from watch
 * timestamps (first event of a Service → first event carrying an ingress IP), and the controller's RSS
 * and CPU from /proc before and after.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CoreV1Api, type KubeConfig, type V1Service, Watch } from '@kubernetes/client-node';
import { limit } from '@ironlb/shared/kube';
import { type CpuTicks, cpuSecondsBetween, statCpuTicks, statusKiB } from './metallb-proc.js';
import { median, percentile } from './metallb-stats.js';

/** The Services of one burst: where, which class, which label. */
export interface BurstTarget {
  readonly namespace: string;
  readonly loadBalancerClass: string;
  readonly label: { readonly key: string; readonly value: string };
}

/** Watch timestamps per Service name: first seen, and first seen with an ingress IP. */
export class StatusTracker {
  readonly #seen = new Map<string, number>();
  readonly #allocated = new Map<string, number>();
  #abort: AbortController | undefined;
  #failure: unknown;

  constructor(
    private readonly kc: KubeConfig,
    private readonly core: CoreV1Api,
    private readonly namespace: string,
  ) {}

  /** Watch restarts (the API server ended the watch: its 30 s inactivity timeout, a "too slow" watcher, an ERROR). */
  restarts = 0;
  /** Lists made: the first, then one per restart whose resourceVersion was gone (410) instead of resuming. */
  lists = 0;
  /** Services whose first sighting already carried an IP: created and allocated unseen (counted as 0 ms). */
  firstSeenWithIp = 0;
  #stopped = false;
  /**
   * Of the list or the last event (bookmarks included): a restarted watch resumes from it, so no event is missed.
   * Undefined before the first list and after a 410. (A watch without one cannot ask for bookmarks: the lab's
   * API server refuses that, its etcd lacking RequestWatchProgress.)
   */
  #resourceVersion: string | undefined;

  async start(): Promise<void> {
    if (this.#resourceVersion === undefined) await this.#list();
    this.#abort = await new Watch(this.kc).watch(
      `/api/v1/namespaces/${this.namespace}/services`,
      { allowWatchBookmarks: true, resourceVersion: this.#resourceVersion },
      (type: string, obj: V1Service & { code?: number }) => {
        this.#onEvent(type, obj);
      },
      (e: unknown) => {
        if (this.#stopped) return;
        this.restarts += 1;
        if (this.restarts > 100) {
          this.#failure = e ?? new Error('Service watch ended more than 100 times');
          return;
        }
        setTimeout(() => {
          this.start().catch((startError: unknown) => {
            this.#failure = startError;
          });
        }, 500);
      },
    );
  }

  async #list(): Promise<void> {
    this.lists += 1;
    const list = await this.core.listNamespacedService({ namespace: this.namespace });
    for (const svc of list.items) this.#record(svc);
    this.#resourceVersion = list.metadata?.resourceVersion;
  }

  #onEvent(type: string, obj: V1Service & { code?: number }): void {
    // An ERROR event carries a Status, not a Service; the watch ends after it and is restarted, from the same
    // resourceVersion unless it is gone (410), when the restarted watch lists everything again.
    if (type === 'ERROR') {
      if (obj.code === 410) this.#resourceVersion = undefined;
      return;
    }
    this.#resourceVersion = obj.metadata?.resourceVersion ?? this.#resourceVersion;
    if (type !== 'BOOKMARK') this.#record(obj);
  }

  #record(svc: V1Service): void {
    const name = svc.metadata?.name ?? '';
    const hasIp = svc.status?.loadBalancer?.ingress?.[0]?.ip !== undefined;
    const now = performance.now();
    if (!this.#seen.has(name)) {
      this.#seen.set(name, now);
      if (hasIp) this.firstSeenWithIp += 1;
    }
    if (hasIp && !this.#allocated.has(name)) this.#allocated.set(name, now);
  }

  stop(): void {
    this.#stopped = true;
    this.#abort?.abort();
  }

  get allocatedCount(): number {
    return this.#allocated.size;
  }

  /** Resolves with the time the n-th Service had an IP; rejects after timeoutMs or when the watch failed. */
  async until(n: number, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    let report = performance.now() + 10_000;
    while (this.#allocated.size < n) {
      if (performance.now() > report) {
        console.error(`  ${this.#allocated.size} of ${n} Services have an IP (${this.#seen.size} seen)`);
        report += 10_000;
      }
      if (this.#failure !== undefined) throw new Error('Service watch failed', { cause: this.#failure });
      if (performance.now() > deadline) {
        throw new Error(
          `only ${this.#allocated.size} of ${n} Services had an IP after ${timeoutMs / 1000} s`,
        );
      }
      await sleep(20);
    }
    return Math.max(...this.#allocated.values());
  }

  /** create→status latencies in ms, ascending. */
  latencies(): number[] {
    const out: number[] = [];
    for (const [name, at] of this.#allocated) {
      const seen = this.#seen.get(name);
      if (seen !== undefined) out.push(at - seen);
    }
    return out.sort((a, b) => a - b);
  }
}

export async function createServices(core: CoreV1Api, target: BurstTarget, n: number): Promise<void> {
  const run = limit(32);
  await Promise.all(
    Array.from({ length: n }, (_v, i) =>
      run(() =>
        retrying(() =>
          core.createNamespacedService({
            namespace: target.namespace,
            body: {
              metadata: { name: `svc-${i}`, labels: { [target.label.key]: target.label.value } },
              spec: {
                type: 'LoadBalancer',
                loadBalancerClass: target.loadBalancerClass,
                // The lab's IPv4 Service CIDR is a /25 and node ports would run out at 2,000.
                ipFamilyPolicy: 'SingleStack',
                ipFamilies: ['IPv6'],
                allocateLoadBalancerNodePorts: false,
                selector: { app: `svc-${i}` },
                ports: [{ port: 80, protocol: 'TCP' }],
              },
            },
          }),
        ),
      ),
    ),
  );
}

/**
 * Deletes the burst's Services (32 at a time) ahead of their namespace: on the loaded lab the namespace
 * controller alone took minutes for 2,000 and stalled for over 2,000 left by an aborted run.
 */
export async function deleteServices(core: CoreV1Api, namespace: string, n: number): Promise<void> {
  const run = limit(32);
  await Promise.all(
    Array.from({ length: n }, (_v, i) =>
      run(async () => {
        try {
          await retrying(() => core.deleteNamespacedService({ namespace, name: `svc-${i}` }));
        } catch (e) {
          if ((e as { code?: unknown }).code !== 404) throw e;
        }
      }),
    ),
  );
}

/**
 * A loaded API server answers 504 (or 429) to some creates and deletes; the object may have been stored (or
 * deleted) anyway, so a retry that meets 409 AlreadyExists counts as created (a delete's 404 is the caller's).
 */
async function retrying(call: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await call();
      return;
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (code === 409 && attempt > 1) return;
      if ((code !== 504 && code !== 429 && code !== 503) || attempt >= 5) throw e;
      await sleep(1000 * attempt);
    }
  }
}

/** One reading of a live process; a process that is gone is a bug of the run (it must not die mid-burst). */
function readProc(pid: number): {
  rssKiB: number;
  hwmKiB: number;
  anonKiB: number;
  fileKiB: number;
  ticks: CpuTicks;
} {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rssKiB = statusKiB(status, 'VmRSS');
  const hwmKiB = statusKiB(status, 'VmHWM');
  const anonKiB = statusKiB(status, 'RssAnon');
  const fileKiB = statusKiB(status, 'RssFile');
  const ticks = statCpuTicks(stat);
  if (
    rssKiB === undefined ||
    hwmKiB === undefined ||
    anonKiB === undefined ||
    fileKiB === undefined ||
    ticks === undefined
  ) {
    throw new Error(`/proc/${pid}: no VmRSS/VmHWM/RssAnon/RssFile/CPU times (process exited?)`);
  }
  return { rssKiB, hwmKiB, anonKiB, fileKiB, ticks };
}

export interface ProcSample {
  /** Median VmRSS of the readings. */
  readonly rssMiB: number;
  /** VmHWM at the last reading. */
  readonly peakMiB: number;
  /** RssAnon and RssFile at the last reading (anonymous memory; file pages, mostly the binary's own). */
  readonly anonMiB: number;
  readonly fileMiB: number;
  /** CPU times at the last reading. */
  readonly ticks: CpuTicks;
}

/** `count` readings `intervalMs` apart. */
export async function sampleProc(pid: number, o: { count: number; intervalMs: number }): Promise<ProcSample> {
  const rss: number[] = [];
  let last = readProc(pid);
  rss.push(last.rssKiB);
  for (let i = 1; i < o.count; i++) {
    await sleep(o.intervalMs);
    last = readProc(pid);
    rss.push(last.rssKiB);
  }
  return {
    rssMiB: (median(rss) ?? 0) / 1024,
    peakMiB: last.hwmKiB / 1024,
    anonMiB: last.anonKiB / 1024,
    fileMiB: last.fileKiB / 1024,
    ticks: last.ticks,
  };
}

export interface BurstNumbers {
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
  readonly allAllocatedMs: number;
  readonly before: ProcSample;
  readonly after: ProcSample;
  /** settleMs after `after`, with nothing asked of the controller in between. */
  readonly settled: ProcSample;
  readonly cpuSeconds: number;
}

/** The burst against a controller that is ready and idle (process `pid`). */
export async function runBurst(o: {
  kc: KubeConfig;
  core: CoreV1Api;
  target: BurstTarget;
  services: number;
  pid: number;
  ticksPerSecond: number;
  timeoutMs: number;
  settleMs: number;
}): Promise<BurstNumbers> {
  const tracker = new StatusTracker(o.kc, o.core, o.target.namespace);
  await tracker.start();
  try {
    const before = await sampleProc(o.pid, { count: 5, intervalMs: 200 });
    const t0 = performance.now();
    await createServices(o.core, o.target, o.services);
    const last = await tracker.until(o.services, o.timeoutMs);
    // Let the controller finish what the last writes started (events, pool status) before "after".
    await sleep(1000);
    const after = await sampleProc(o.pid, { count: 5, intervalMs: 200 });
    await sleep(o.settleMs);
    const settled = await sampleProc(o.pid, { count: 5, intervalMs: 200 });
    const lat = tracker.latencies();
    if (tracker.restarts > 0) {
      console.error(
        `  the Service watch was restarted ${tracker.restarts} times (${tracker.lists - 1} of them listing again); ` +
          `${tracker.firstSeenWithIp} Services were first seen with an IP already (counted as 0 ms)`,
      );
    }
    return {
      p50Ms: percentile(lat, 50),
      p99Ms: percentile(lat, 99),
      allAllocatedMs: last - t0,
      before,
      after,
      settled,
      cpuSeconds: cpuSecondsBetween(before.ticks, after.ticks, o.ticksPerSecond),
    };
  } finally {
    tracker.stop();
  }
}
