import { chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LabConfig } from '../config.js';
import { labPaths } from '../config.js';
import type { StartResult } from '../control-plane.js';
import { run } from '../exec.js';
import { readLiveRecord, startDetached, stopRecorded } from '../processes.js';
import type { FrrInstance } from './plan.js';
import { FRR_LIB_DIR, FRR_RUN_DIR } from './plan.js';

/**
 * One FRR instance = zebra, bgpd and bfdd of Debian's FRR, in the foreground inside a lab namespace, with the path
 * space `-N <name>` (sockets in /var/run/frr/<name>) and the `datacenter` defaults profile. The daemons start with
 * no configuration; then `vtysh -N <name> -f <configPath>` applies the integrated frr.conf, as `vtysh -b` does at
 * boot (a daemon given the integrated file with `-f` rejects every line after the first one it does not know).
 * Each daemon is recorded in the lab pid directory as `frr-<netns>-<daemon>`, so `lab down` stops it by PID like
 * every other lab process.
 * Invariant: an instance is either fully running (all three daemons alive) or restarted as a whole.
 */
export const FRR_DAEMONS = ['zebra', 'bgpd', 'bfdd'] as const;
export type FrrDaemon = (typeof FRR_DAEMONS)[number];

export function frrProcessName(instance: FrrInstance, daemon: FrrDaemon): string {
  return `frr-${instance.netns}-${daemon}`;
}

export function frrRunDir(instance: FrrInstance): string {
  return join(FRR_RUN_DIR, instance.name);
}

async function frrIds(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', 'frr']), run('id', ['-g', 'frr'])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

async function waitForFile(path: string, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline)
      throw new Error(`lab: ${what} did not appear within ${timeoutMs} ms (${path})`);
    await sleep(50);
  }
}

export function checkFrrInstalled(): void {
  for (const file of [...FRR_DAEMONS.map((d) => join(FRR_LIB_DIR, d)), join(FRR_LIB_DIR, 'frr-reload.py')]) {
    if (!existsSync(file)) {
      throw new Error(
        `lab BGP needs Debian's frr and frr-pythontools (${file} missing): run scripts/toolchain.sh`,
      );
    }
  }
}

/**
 * Starts the instance unless all its daemons run. A (re)start writes `initialConfig` to the config path first, so a
 * fresh instance never loads what a previous driver left there.
 */
export async function ensureFrrInstance(
  config: LabConfig,
  options: { instance: FrrInstance; initialConfig: string },
): Promise<StartResult[]> {
  const { instance } = options;
  const { pids, logs } = labPaths(config);
  const live = FRR_DAEMONS.map((d) => readLiveRecord(pids, frrProcessName(instance, d)));
  if (live.every((r) => r !== null)) {
    return live.map((r) => ({ name: r.name, pid: r.pid, started: false }));
  }
  await stopFrrInstance(config, instance);
  mkdirSync(instance.configDir, { recursive: true, mode: 0o755 });
  writeFileSync(instance.configPath, options.initialConfig, { mode: 0o644 });
  const ids = await frrIds();
  for (const dir of [FRR_RUN_DIR, frrRunDir(instance)]) {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    chownSync(dir, ids.uid, ids.gid);
  }
  const start = (daemon: FrrDaemon): StartResult => {
    const record = startDetached({
      name: frrProcessName(instance, daemon),
      argv: [
        'ip',
        'netns',
        'exec',
        instance.netns,
        join(FRR_LIB_DIR, daemon),
        '-N',
        instance.name,
        '-F',
        'datacenter',
        '-f',
        '/dev/null',
        // No TCP vty: vtysh uses the unix sockets in the run directory.
        '-P',
        '0',
        '--log',
        'stdout',
      ],
      pidDir: pids,
      logDir: logs,
    });
    return { name: record.name, pid: record.pid, started: true };
  };
  const results = [start('zebra')];
  await waitForFile(join(frrRunDir(instance), 'zserv.api'), `zebra of ${instance.name}`);
  results.push(start('bgpd'), start('bfdd'));
  for (const daemon of FRR_DAEMONS) {
    await waitForFile(join(frrRunDir(instance), `${daemon}.vty`), `${daemon} of ${instance.name}`);
  }
  await run(instance.vtysh[0] ?? 'vtysh', [...instance.vtysh.slice(1), '-f', instance.configPath]);
  return results;
}

/** Stops the instance's daemons (by recorded PID) and removes its run directory. */
export async function stopFrrInstance(config: LabConfig, instance: FrrInstance): Promise<string[]> {
  const pidDir = labPaths(config).pids;
  const stopped: string[] = [];
  // bgpd and bfdd first: they withdraw from zebra, which then removes its kernel routes.
  for (const daemons of [['bgpd', 'bfdd'], ['zebra']] as const) {
    await Promise.all(
      daemons.map(async (d) => {
        const name = frrProcessName(instance, d);
        if (await stopRecorded({ pidDir, name })) stopped.push(name);
      }),
    );
  }
  removeFrrRunDir(instance);
  return stopped;
}

/** The run directory holds only sockets and pid files of this instance. */
export function removeFrrRunDir(instance: FrrInstance): void {
  rmSync(frrRunDir(instance), { recursive: true, force: true });
}
