import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Detached lab processes, each recorded in `<pidDir>/<name>.pid` as JSON. The record holds the kernel start time
 * (field 22 of /proc/<pid>/stat) so a recycled PID is never mistaken for ours: we only ever signal a PID whose start
 * time still matches the record.
 */
export interface ProcessRecord {
  readonly name: string;
  readonly pid: number;
  readonly startTicks: string;
  readonly argv: readonly string[];
  readonly log: string;
}

export interface StartOptions {
  readonly name: string;
  readonly argv: readonly string[];
  readonly pidDir: string;
  readonly logDir: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

function startTicks(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after the closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = fields[0];
    if (state === 'Z' || state === 'X') return null;
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function pidFile(pidDir: string, name: string): string {
  return join(pidDir, `${name}.pid`);
}

/** The record for `name` if its process is still alive (same PID, same start time), else null. */
export function readLiveRecord(pidDir: string, name: string): ProcessRecord | null {
  let record: ProcessRecord;
  try {
    record = JSON.parse(readFileSync(pidFile(pidDir, name), 'utf8')) as ProcessRecord;
  } catch {
    return null;
  }
  return startTicks(record.pid) === record.startTicks ? record : null;
}

/** Every record in `pidDir`, alive or not. */
export function listRecords(pidDir: string): ProcessRecord[] {
  let files: string[];
  try {
    files = readdirSync(pidDir).filter((f) => f.endsWith('.pid'));
  } catch {
    return [];
  }
  const records: ProcessRecord[] = [];
  for (const file of files) {
    try {
      records.push(JSON.parse(readFileSync(join(pidDir, file), 'utf8')) as ProcessRecord);
    } catch {
      // A torn pidfile cannot name a process we own; ignore it.
    }
  }
  return records;
}

export function isAlive(record: ProcessRecord): boolean {
  return startTicks(record.pid) === record.startTicks;
}

/** A record for the calling process itself (used for locks and lab-user registrations). */
export function recordSelf(name: string): ProcessRecord {
  const ticks = startTicks(process.pid);
  if (ticks === null) throw new Error('cannot read /proc/self/stat');
  return { name, pid: process.pid, startTicks: ticks, argv: process.argv, log: '' };
}

/** Starts a detached process (own process group, output appended to `<logDir>/<name>.log`) and records it. */
export function startDetached(options: StartOptions): ProcessRecord {
  mkdirSync(options.pidDir, { recursive: true });
  mkdirSync(options.logDir, { recursive: true });
  const log = join(options.logDir, `${options.name}.log`);
  const fd = openSync(log, 'a');
  const [command, ...args] = options.argv;
  if (command === undefined) throw new Error('startDetached: empty argv');
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: options.env ?? process.env,
    cwd: options.cwd,
  });
  closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${options.name}: ${command}`);
  child.unref();
  const ticks = startTicks(pid);
  if (ticks === null) throw new Error(`${options.name} exited immediately; see ${log}`);
  const record: ProcessRecord = { name: options.name, pid, startTicks: ticks, argv: options.argv, log };
  writeFileSync(pidFile(options.pidDir, options.name), JSON.stringify(record));
  return record;
}

/**
 * `signal` (default SIGTERM), then SIGKILL after `graceMs`; removes the pidfile. Only signals the recorded PID if it
 * is still ours.
 */
export async function stopRecorded(options: {
  pidDir: string;
  name: string;
  graceMs?: number;
  signal?: NodeJS.Signals;
}): Promise<boolean> {
  const file = pidFile(options.pidDir, options.name);
  const record = readLiveRecord(options.pidDir, options.name);
  let stopped = false;
  if (record) {
    stopped = true;
    signal(record, options.signal ?? 'SIGTERM');
    const deadline = Date.now() + (options.graceMs ?? 5_000);
    while (isAlive(record) && Date.now() < deadline) await sleep(50);
    if (isAlive(record)) signal(record, 'SIGKILL');
    while (isAlive(record)) await sleep(20);
  }
  rmSync(file, { force: true });
  return stopped;
}

function signal(record: ProcessRecord, sig: NodeJS.Signals): void {
  try {
    process.kill(record.pid, sig);
  } catch {
    // Already gone.
  }
}
