import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LabConfig } from './config.js';
import type { ProcessRecord } from './processes.js';
import { isAlive, recordSelf } from './processes.js';

/**
 * Several test runs (several engineers, one machine) may share one lab. Two mechanisms keep them from breaking
 * each other:
 * - a lock directory (`<lab>/lock`, created atomically by mkdir) serialises `up` and `down`; a lock whose owner
 *   process is gone is taken over;
 * - a users directory (`<lab>/users/<pid>.json`): each e2e run registers itself, and its teardown only brings the
 *   lab down when no other live run is registered.
 */
const LOCK_TIMEOUT_MS = 180_000;

function lockDir(config: LabConfig): string {
  return join(config.dir, 'lock');
}

function usersDir(config: LabConfig): string {
  return join(config.dir, 'users');
}

function readRecord(file: string): ProcessRecord | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ProcessRecord;
  } catch {
    return null;
  }
}

/** Runs `fn` holding the lab lock. */
export async function withLabLock<T>(config: LabConfig, fn: () => Promise<T>): Promise<T> {
  const dir = lockDir(config);
  const owner = join(dir, 'owner.json');
  mkdirSync(config.dir, { recursive: true });
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(owner, JSON.stringify(recordSelf('lab-lock')));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readRecord(owner);
      // No owner file yet means the holder is between mkdir and write: wait for it.
      if (holder && !isAlive(holder)) rmSync(dir, { recursive: true, force: true });
      else if (Date.now() > deadline) {
        throw new Error(`lab: lock ${dir} held by pid ${holder?.pid ?? '?'} too long`, { cause: error });
      } else await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Registers this process as a lab user (until `releaseLabUser` or its death). */
export function registerLabUser(config: LabConfig): void {
  mkdirSync(usersDir(config), { recursive: true });
  writeFileSync(join(usersDir(config), `${process.pid}.json`), JSON.stringify(recordSelf('lab-user')));
}

/** Unregisters this process; returns the other live users (dead registrations are pruned). */
export function releaseLabUser(config: LabConfig): ProcessRecord[] {
  rmSync(join(usersDir(config), `${process.pid}.json`), { force: true });
  return otherLabUsers(config);
}

/**
 * Live registered users other than this process and its parent (a vitest worker's parent is the run that registered).
 */
export function otherLabUsers(config: LabConfig): ProcessRecord[] {
  let files: string[];
  try {
    files = readdirSync(usersDir(config));
  } catch {
    return [];
  }
  const others: ProcessRecord[] = [];
  for (const file of files) {
    const path = join(usersDir(config), file);
    const record = readRecord(path);
    if (!record || !isAlive(record)) rmSync(path, { force: true });
    else if (record.pid !== process.pid && record.pid !== process.ppid) others.push(record);
  }
  return others;
}
