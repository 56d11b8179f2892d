import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, listRecords, readLiveRecord, startDetached, stopRecorded } from './processes.js';
import type { ProcessRecord } from './processes.js';

describe('pidfile-recorded processes', () => {
  const dirs: string[] = [];
  const tmp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'ilb-proc-test-'));
    dirs.push(d);
    return d;
  };
  afterEach(async () => {
    for (const d of dirs.splice(0)) {
      for (const r of listRecords(d)) await stopRecorded({ pidDir: d, name: r.name, graceMs: 100 });
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('starts a detached process, records it, and stops exactly that PID', async () => {
    const dir = tmp();
    const record = startDetached({ name: 'sleeper', argv: ['sleep', '30'], pidDir: dir, logDir: dir });
    expect(isAlive(record)).toBe(true);
    expect(readLiveRecord(dir, 'sleeper')?.pid).toBe(record.pid);
    expect(await stopRecorded({ pidDir: dir, name: 'sleeper' })).toBe(true);
    expect(isAlive(record)).toBe(false);
    expect(listRecords(dir)).toEqual([]);
  });

  it('never signals a PID whose start time differs from the record (PID reuse)', async () => {
    const dir = tmp();
    const real = startDetached({ name: 'victim', argv: ['sleep', '30'], pidDir: dir, logDir: dir });
    const forged: ProcessRecord = { ...real, startTicks: '1' };
    writeFileSync(join(dir, 'victim.pid'), JSON.stringify(forged));
    expect(readLiveRecord(dir, 'victim')).toBeNull();
    expect(await stopRecorded({ pidDir: dir, name: 'victim' })).toBe(false);
    expect(isAlive(real)).toBe(true);
    process.kill(real.pid, 'SIGKILL');
  });

  it('appends output to <logDir>/<name>.log', async () => {
    const dir = tmp();
    const record = startDetached({
      name: 'echo',
      argv: ['sh', '-c', 'echo hello; sleep 30'],
      pidDir: dir,
      logDir: dir,
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(readFileSync(record.log, 'utf8')).toContain('hello');
  });
});
