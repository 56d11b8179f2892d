import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitForKeyFile } from './key-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ironlb-key-file-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function capture(): { logger: pino.Logger; messages: () => string[] } {
  const out: string[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => out.push(s) });
  return { logger, messages: () => out.map((l) => (JSON.parse(l) as { msg: string }).msg) };
}

const WAITING =
  'waiting for the membership key file (the controller creates the Secret, the kubelet then fills the volume)';

describe('waitForKeyFile', () => {
  it('returns the trimmed key of a file that is already there, without a waiting line', async () => {
    const path = join(dir, 'secretKey');
    writeFileSync(path, '  0123456789abcdef0123\n');
    const log = capture();
    const r = await waitForKeyFile({ path, logger: log.logger }, new AbortController().signal);
    expect(r).toEqual({ ok: true, value: '0123456789abcdef0123' });
    expect(log.messages()).toEqual([]);
  });

  it('waits for a missing file, then an empty one, logging while it waits, and reads it when it appears', async () => {
    // What the kubelet does for an optional Secret volume: an empty directory, later an atomic symlink swap.
    const path = join(dir, 'secretKey');
    const log = capture();
    const waiting = waitForKeyFile(
      { path, logger: log.logger, pollMs: 5, logEveryMs: 20 },
      new AbortController().signal,
    );
    await new Promise((r) => setTimeout(r, 60));
    writeFileSync(join(dir, 'empty'), '');
    symlinkSync(join(dir, 'empty'), path);
    await new Promise((r) => setTimeout(r, 30));
    mkdirSync(join(dir, '..data'));
    writeFileSync(join(dir, '..data', 'secretKey'), 'k'.repeat(64));
    rmSync(path);
    symlinkSync(join(dir, '..data', 'secretKey'), path);
    const r = await waiting;
    expect(r).toEqual({ ok: true, value: 'k'.repeat(64) });
    const messages = log.messages();
    expect(messages[0]).toBe(WAITING);
    expect(messages.filter((m) => m === WAITING).length).toBeGreaterThanOrEqual(2);
    expect(messages.at(-1)).toBe('membership key file appeared');
  });

  it('returns null when the signal aborts while waiting', async () => {
    const stop = new AbortController();
    const waiting = waitForKeyFile(
      { path: join(dir, 'never'), logger: capture().logger, pollMs: 10_000 },
      stop.signal,
    );
    await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    expect(await waiting).toEqual({ ok: true, value: null });
  });

  it('a read error other than a missing file is returned, not waited for', async () => {
    const r = await waitForKeyFile({ path: dir, logger: capture().logger }, new AbortController().signal);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(`cannot read the membership key file ${dir}: EISDIR`);
  });
});
