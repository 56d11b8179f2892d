import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { labConfig } from './config.js';
import { recordSelf, startDetached, stopRecorded } from './processes.js';
import { otherLabUsers, registerLabUser, releaseLabUser, withLabLock } from './sharing.js';

describe('lab sharing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ilb-share-test-'));
  const config = labConfig({ IRONLB_LAB_DIR: dir });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    rmSync(join(dir, 'users'), { recursive: true, force: true });
    rmSync(join(dir, 'lock'), { recursive: true, force: true });
  });

  it('serialises critical sections', async () => {
    const order: string[] = [];
    const section = (name: string) => async (): Promise<void> => {
      order.push(`${name}+`);
      await new Promise((r) => setTimeout(r, 50));
      order.push(`${name}-`);
    };
    await Promise.all([withLabLock(config, section('a')), withLabLock(config, section('b'))]);
    expect(order).toEqual(['a+', 'a-', 'b+', 'b-']);
  });

  it('takes over a lock whose owner is dead', async () => {
    mkdirSync(join(dir, 'lock'));
    writeFileSync(join(dir, 'lock', 'owner.json'), JSON.stringify({ ...recordSelf('x'), startTicks: '1' }));
    expect(await withLabLock(config, () => Promise.resolve(42))).toBe(42);
  });

  it('counts only live users other than this process, pruning dead registrations', async () => {
    registerLabUser(config);
    const ghost = { ...recordSelf('lab-user'), pid: 9_999_999, startTicks: '1' };
    writeFileSync(join(dir, 'users', `${ghost.pid}.json`), JSON.stringify(ghost));
    expect(otherLabUsers(config)).toEqual([]);
    const other = startDetached({ name: 'other', argv: ['sleep', '30'], pidDir: dir, logDir: dir });
    writeFileSync(join(dir, 'users', `${other.pid}.json`), JSON.stringify(other));
    expect(releaseLabUser(config).map((u) => u.pid)).toEqual([other.pid]);
    await stopRecorded({ pidDir: dir, name: 'other' });
    expect(otherLabUsers(config)).toEqual([]);
  });
});
