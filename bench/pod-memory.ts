/**
 * Memory of the ironlb containers as the kubelet runs them on the real-node lab (IRONLB_LAB_MODE=real): each
 * container's memory cgroup (v1, below the node's `kubepods` tree: kubelet's cgroupfs driver names it by the
 * container ID) and its main process (from the cgroup's `cgroup.procs`, read in /proc). The bench runs in the
 * machine's PID namespace (a sandbox has its own network and mount namespaces only), so container PIDs are
 * visible as they are.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { findNode, type LabConfig } from '../test/lab/config.js';
import { realNodeLayout } from '../test/lab/real/node-files.js';
import { netnsExec } from '../test/e2e/support/index.js';
import { statusMiB } from './speaker-lab.js';

const MEMORY_ROOT = '/sys/fs/cgroup/memory';
const MiB = 1048576;

export interface Container {
  readonly pod: string;
  readonly container: string;
  readonly node: string;
  readonly podIp: string;
  readonly containerId: string;
  readonly restarts: number;
  /** Reasons of the current and last termination, e.g. OOMKilled (empty: none). */
  readonly terminations: readonly string[];
  /** The container's memory cgroup directory. */
  readonly cgroup: string;
  /** Its main process: the one running `node`. */
  readonly pid: number;
}

/** A directory named `name` at most `depth` levels below `dir` (kubepods/<qos>/pod<uid>/<id>), or undefined. */
function findDir(dir: string, name: string, depth: number): string | undefined {
  if (depth < 0 || !existsSync(dir)) return undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = join(dir, entry.name);
    if (entry.name === name) return path;
    const found = findDir(path, name, depth - 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

function mainPid(cgroup: string): number {
  const pids = readFileSync(join(cgroup, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  const node = pids.find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
        .split('\0')
        .some((a) => a.endsWith('main.js'));
    } catch {
      return false;
    }
  });
  const pid = node ?? pids[0];
  if (pid === undefined) throw new Error(`no process in ${cgroup}`);
  return pid;
}

function locate(o: { kubepods: string; pod: V1Pod; status: V1ContainerStatus }): Container {
  const { pod, status: c } = o;
  const containerId = (c.containerID ?? '').replace(/^\w+:\/\//, '');
  const cgroup = containerId === '' ? undefined : findDir(o.kubepods, containerId, 3);
  if (cgroup === undefined) throw new Error(`no memory cgroup for ${pod.metadata?.name}/${c.name}`);
  return {
    pod: pod.metadata?.name ?? '?',
    container: c.name,
    node: pod.spec?.nodeName ?? '',
    podIp: pod.status?.podIP ?? '',
    containerId,
    restarts: c.restartCount,
    terminations: [c.state?.terminated?.reason, c.lastState?.terminated?.reason].filter(
      (r): r is string => r !== undefined,
    ),
    cgroup,
    pid: mainPid(cgroup),
  };
}

/** The running containers of `pods`, located in their node's cgroup tree. */
export function locateContainers(config: LabConfig, pods: readonly V1Pod[]): Container[] {
  return pods.flatMap((pod) => {
    const node = findNode(config, pod.spec?.nodeName ?? '');
    const kubepods = join(MEMORY_ROOT, realNodeLayout(config, node).cgroup, 'kubepods');
    return (pod.status?.containerStatuses ?? []).map((status) => locate({ kubepods, pod, status }));
  });
}

function cgroupNumber(dir: string, file: string): number {
  return Number(readFileSync(join(dir, file), 'utf8').trim());
}

function statField(dir: string, file: string, field: string): number {
  const re = new RegExp(`^${field} (\\d+)$`, 'm');
  return Number(re.exec(readFileSync(join(dir, file), 'utf8'))?.[1] ?? Number.NaN);
}

export interface MemoryReading {
  /** memory.usage_in_bytes (what the limit is checked against: anonymous memory plus page cache), MiB. */
  readonly usage: number;
  /** usage minus inactive file pages: the kubelet's working set, MiB. */
  readonly workingSet: number;
  /** total_rss and total_cache of memory.stat, MiB. */
  readonly rss: number;
  readonly cache: number;
  /** memory.max_usage_in_bytes: peak usage since the cgroup was made or reset (resetPeaks), MiB. */
  readonly peak: number;
  readonly limit: number;
  /** memory.failcnt: times usage hit the limit. */
  readonly failcnt: number;
  /** oom_kill of the pod's cgroup (memory.oom_control): survives a container restart. */
  readonly podOomKills: number;
  /** /proc/<pid>/status of the main process, MiB. */
  readonly vmRss: number;
  readonly rssAnon: number;
  readonly rssFile: number;
}

export function readMemory(c: Container): MemoryReading {
  const usage = cgroupNumber(c.cgroup, 'memory.usage_in_bytes');
  const inactiveFile = statField(c.cgroup, 'memory.stat', 'total_inactive_file');
  return {
    usage: usage / MiB,
    workingSet: (usage - inactiveFile) / MiB,
    rss: statField(c.cgroup, 'memory.stat', 'total_rss') / MiB,
    cache: statField(c.cgroup, 'memory.stat', 'total_cache') / MiB,
    peak: cgroupNumber(c.cgroup, 'memory.max_usage_in_bytes') / MiB,
    limit: cgroupNumber(c.cgroup, 'memory.limit_in_bytes') / MiB,
    failcnt: cgroupNumber(c.cgroup, 'memory.failcnt'),
    podOomKills: statField(join(c.cgroup, '..'), 'memory.oom_control', 'oom_kill'),
    vmRss: statusMiB(c.pid, 'VmRSS'),
    rssAnon: statusMiB(c.pid, 'RssAnon'),
    rssFile: statusMiB(c.pid, 'RssFile'),
  };
}

/** Starts a new peak window: memory.max_usage_in_bytes is reset to the current usage. */
export function resetPeak(c: Container): void {
  writeFileSync(join(c.cgroup, 'memory.max_usage_in_bytes'), '0');
}

/** Prometheus samples starting with `prefix` from `url`, fetched inside the network namespace `netns`. */
export async function promSamples(o: {
  netns: string;
  url: string;
  prefix: string;
}): Promise<Map<string, number>> {
  const { stdout } = await netnsExec(o.netns, ['curl', '-sf', '-m', '5', o.url]);
  const out = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(o.prefix)) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

export function formatReading(c: Container, m: MemoryReading, heap: string): string {
  const f = (n: number): string => n.toFixed(1);
  return (
    `${c.pod}/${c.container} (${c.node}, pid ${String(c.pid)}): cgroup usage ${f(m.usage)} (working set ` +
    `${f(m.workingSet)}, rss ${f(m.rss)}, cache ${f(m.cache)}) peak ${f(m.peak)} limit ${f(m.limit)} ` +
    `failcnt ${String(m.failcnt)} pod oom_kill ${String(m.podOomKills)} | VmRSS ${f(m.vmRss)} (anon ` +
    `${f(m.rssAnon)} file ${f(m.rssFile)}) ${heap} MiB | restarts ${String(c.restarts)}` +
    (c.terminations.length > 0 ? ` terminated ${c.terminations.join(',')}` : '')
  );
}
