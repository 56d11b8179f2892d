import { labConfig, labPaths } from '../../lab/config.js';
import type { RunResult } from '../../lab/exec.js';
import { run, runInNetns } from '../../lab/exec.js';
import { startDetached, stopRecorded } from '../../lab/processes.js';

/** Runs a command to completion inside a lab network namespace; rejects on non-zero exit. */
export function netnsExec(
  netns: string,
  argv: readonly string[],
  options: { timeoutMs?: number; input?: string } = {},
): Promise<RunResult> {
  return runInNetns(netns, argv, options);
}

export interface NetnsProcess {
  readonly name: string;
  readonly pid: number;
  readonly log: string;
  /** SIGTERM (then SIGKILL after 5 s) this PID only; resolves to whether it was still running. */
  readonly stop: () => Promise<boolean>;
}

/**
 * Starts a long-running process inside `netns`, detached, logging to `<lab>/logs/<name>.log` and recorded in the lab
 * pid directory (so `lab down` also stops it if the test does not). `name` must be unique while it runs.
 */
export function startInNetns(options: {
  netns: string;
  argv: readonly string[];
  name: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}): NetnsProcess {
  const paths = labPaths(labConfig());
  const record = startDetached({
    name: options.name,
    argv: ['ip', 'netns', 'exec', options.netns, ...options.argv],
    pidDir: paths.pids,
    logDir: paths.logs,
    env: options.env,
    cwd: options.cwd,
  });
  return {
    name: record.name,
    pid: record.pid,
    log: record.log,
    stop: () => stopRecorded({ pidDir: paths.pids, name: record.name }),
  };
}

export interface PinnedAddress {
  readonly ip: string;
  readonly node: string;
  /** Removes the address (and nothing else). */
  readonly unpin: () => Promise<void>;
}

function hostPrefix(ip: string): string {
  return ip.includes(':') ? `${ip}/128` : `${ip}/32`;
}

/**
 * Puts `ip` on the node's pin device (`ilb-pin0`, never touched by the kube-proxy stand-in). The kernel will not
 * answer ARP/NDP for it (arp_ignore=1 on eth0), so a client needs a static neighbour entry or an ARP/NDP speaker.
 */
export async function pinAddress(options: { node: string; ip: string }): Promise<PinnedAddress> {
  const config = labConfig();
  const extra = options.ip.includes(':') ? ['nodad'] : [];
  await run('ip', [
    '-n',
    options.node,
    'addr',
    'replace',
    hostPrefix(options.ip),
    'dev',
    config.pinDevice,
    ...extra,
  ]);
  return {
    ip: options.ip,
    node: options.node,
    unpin: async () => {
      await run('ip', ['-n', options.node, 'addr', 'del', hostPrefix(options.ip), 'dev', config.pinDevice]);
    },
  };
}

/** Sets a permanent neighbour entry `ip → mac` on eth0 of `netns` (default: the lab client). */
export async function setStaticNeighbour(options: {
  ip: string;
  mac: string;
  netns?: string;
}): Promise<void> {
  const netns = options.netns ?? labConfig().client.netns;
  await run('ip', [
    '-n',
    netns,
    'neigh',
    'replace',
    options.ip,
    'lladdr',
    options.mac,
    'dev',
    'eth0',
    'nud',
    'permanent',
  ]);
}

/** Removes any neighbour entry for `ip` on eth0 of `netns` (default: the lab client). */
export async function flushNeighbour(options: { ip: string; netns?: string }): Promise<void> {
  const netns = options.netns ?? labConfig().client.netns;
  await run('ip', ['-n', netns, 'neigh', 'flush', 'to', options.ip, 'dev', 'eth0']);
}

export interface NeighbourEntry {
  readonly ip: string;
  /** Absent while unresolved (INCOMPLETE/FAILED). */
  readonly mac?: string;
  readonly state: readonly string[];
}

/** The neighbour entry for `ip` on eth0 of `netns` (default: the lab client), or null if there is none. */
export async function neighbour(options: { ip: string; netns?: string }): Promise<NeighbourEntry | null> {
  const netns = options.netns ?? labConfig().client.netns;
  const { stdout } = await run('ip', ['-j', '-n', netns, 'neigh', 'show', 'to', options.ip, 'dev', 'eth0']);
  const entries = JSON.parse(stdout || '[]') as { dst: string; lladdr?: string; state?: string[] }[];
  const entry = entries.find((e) => e.dst === options.ip);
  if (!entry) return null;
  return { ip: entry.dst, ...(entry.lladdr ? { mac: entry.lladdr } : {}), state: entry.state ?? [] };
}
