import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A real lab node's cgroup subtree in every cgroup v1 hierarchy (this machine mounts v1 under /sys/fs/cgroup).
 * Every process of the node lives inside it (containerd and its shims, kubelet, kube-proxy, pods), so stopping the
 * node means killing exactly the processes listed there: they are ours by construction.
 */
const ROOT = '/sys/fs/cgroup';

/**
 * v1 hierarchies (cpu, memory, pids, name=systemd, …); with `withUnified`, also the v2 `unified` mount, where runc
 * mirrors the containers' cgroups (hybrid mode) and which the lab must therefore clean up as well.
 */
function hierarchies(withUnified = false): string[] {
  return readdirSync(ROOT, { withFileTypes: true })
    .filter((d) => d.isDirectory() && (withUnified || d.name !== 'unified'))
    .map((d) => join(ROOT, d.name))
    .filter((h) => existsSync(join(h, 'cgroup.procs')));
}

/** Creates `path` (relative, e.g. /ironlb-lab/ilb-node-1/system) in every hierarchy, with cpuset inherited. */
export function ensureCgroup(path: string): void {
  for (const h of hierarchies()) {
    let dir = h;
    for (const part of path.split('/').filter((p) => p !== '')) {
      const parent = dir;
      dir = join(dir, part);
      if (existsSync(dir)) continue;
      mkdirSync(dir);
      // A new cpuset cgroup starts with no CPUs and no memory nodes: no process could join it.
      if (existsSync(join(dir, 'cpuset.cpus'))) {
        writeFileSync(join(dir, 'cpuset.cpus'), readFileSync(join(parent, 'cpuset.cpus')));
        writeFileSync(join(dir, 'cpuset.mems'), readFileSync(join(parent, 'cpuset.mems')));
      }
    }
  }
}

/** Every PID in the subtree `path` of `hierarchy` (depth first). */
function pidsIn(dir: string): number[] {
  if (!existsSync(dir)) return [];
  const own = readFileSync(join(dir, 'cgroup.procs'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map(Number);
  const children = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory());
  return [...own, ...children.flatMap((c) => pidsIn(join(dir, c.name)))];
}

function subtreePids(path: string): number[] {
  const pids = hierarchies().find((h) => h.endsWith('/pids')) ?? hierarchies()[0];
  return pids === undefined ? [] : pidsIn(join(pids, path));
}

/** SIGKILLs every process in the subtree until it is empty; resolves to how many processes were killed. */
export async function killCgroup(path: string, timeoutMs = 15_000): Promise<number> {
  const killed = new Set<number>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = subtreePids(path);
    if (pids.length === 0) return killed.size;
    if (Date.now() > deadline) throw new Error(`cgroup ${path} still has processes ${pids.join(' ')}`);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.add(pid);
      } catch {
        // Exited meanwhile.
      }
    }
    await sleep(100);
  }
}

function removeTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const child of readdirSync(dir, { withFileTypes: true })) {
    if (child.isDirectory()) removeTree(join(dir, child.name));
  }
  rmdirSync(dir);
}

/** Removes the (empty) subtree from every hierarchy, and `parent` too when nothing else is left in it. */
export function removeCgroup(path: string, parent?: string): void {
  for (const h of hierarchies(true)) {
    removeTree(join(h, path));
    if (parent === undefined) continue;
    const p = join(h, parent);
    if (existsSync(p) && readdirSync(p, { withFileTypes: true }).every((d) => !d.isDirectory())) rmdirSync(p);
  }
}
