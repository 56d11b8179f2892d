import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBgpMetrics } from './bgp-metrics.js';
import type { CommandResult, CommandRunner } from './command-runner.js';
import { FrrApplier, redact } from './frr-applier.js';

/** Records every command and answers with the next scripted result (default: success). */
function fakeRunner(results: CommandResult[] = []): CommandRunner & { calls: string[][] } {
  const calls: string[][] = [];
  const run = (argv: readonly string[]): Promise<CommandResult> => {
    calls.push([...argv]);
    return Promise.resolve(results.shift() ?? { code: 0, stdout: '', stderr: '' });
  };
  return Object.assign(run, { calls });
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ironlb-frr-applier-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Setup {
  applier: FrrApplier;
  run: ReturnType<typeof fakeRunner>;
  script: string;
  reloads: () => Promise<number>;
  failures: () => Promise<number>;
}

function setup(o: { reloadScript: boolean; results?: CommandResult[] }): Setup {
  const script = join(dir, 'frr-reload.py');
  if (o.reloadScript) writeFileSync(script, '# stand-in\n');
  const run = fakeRunner(o.results);
  const metrics = createBgpMetrics(new Registry());
  const applier = new FrrApplier({
    target: { instance: 'lab-n1', configDir: dir, reloadScript: script, bindir: '/usr/bin' },
    run,
    metrics,
    logger: pino({ level: 'silent' }),
  });
  const count = async (c: { get: () => Promise<{ values: { value: number }[] }> }): Promise<number> =>
    (await c.get()).values[0]?.value ?? 0;
  return {
    applier,
    run,
    script,
    reloads: () => count(metrics.reloads),
    failures: () => count(metrics.reloadFailures),
  };
}

describe('FrrApplier', () => {
  it('writes frr.conf and runs frr-reload.py for the instance, only when the text changed', async () => {
    const t = setup({ reloadScript: true });
    expect(await t.applier.apply('router bgp 1\n')).toEqual({ ok: true, value: 'reloaded' });
    expect(readFileSync(join(dir, 'frr.conf'), 'utf8')).toBe('router bgp 1\n');
    const argv = (mode: string): string[] => [
      'python3',
      t.script,
      mode,
      '--stdout',
      '--bindir',
      '/usr/bin',
      '--pathspace',
      'lab-n1',
      join(dir, 'frr.conf'),
    ];
    expect(t.run.calls).toEqual([argv('--reload'), argv('--test')]);
    expect(await t.applier.apply('router bgp 1\n')).toEqual({ ok: true, value: 'unchanged' });
    expect(t.run.calls).toHaveLength(2);
    expect(await t.applier.apply('router bgp 2\n')).toEqual({ ok: true, value: 'reloaded' });
    expect(t.run.calls).toHaveLength(4);
    expect(await t.reloads()).toBe(2);
    expect(await t.failures()).toBe(0);
    // The temporary file was renamed, not left behind.
    expect(readdirSync(dir).sort()).toEqual(['frr-reload.py', 'frr.conf']);
  });

  it('frr.conf is readable by its owner only (0600: it holds passwords), also after a leftover temporary file', async () => {
    const t = setup({ reloadScript: true });
    writeFileSync(join(dir, '.frr.conf.ironlb-tmp'), 'stale\n', { mode: 0o644 });
    expect((await t.applier.apply('router bgp 1\n')).ok).toBe(true);
    expect(statSync(join(dir, 'frr.conf')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'frr.conf'), 'utf8')).toBe('router bgp 1\n');
    expect(await t.applier.apply('router bgp 2\n')).toEqual({ ok: true, value: 'reloaded' });
    expect(statSync(join(dir, 'frr.conf')).mode & 0o777).toBe(0o600);
  });

  it('a failed reload is counted, reported without passwords, and retried with the same text', async () => {
    const t = setup({
      reloadScript: true,
      results: [{ code: 1, stdout: 'Failed: neighbor 192.0.2.61 password hunter2', stderr: '' }],
    });
    const first = await t.applier.apply('x\n');
    expect(first.ok).toBe(false);
    if (!first.ok) {
      expect(first.error).toContain('frr-reload.py exited with 1');
      expect(first.error).toContain('password <redacted>');
      expect(first.error).not.toContain('hunter2');
    }
    expect(await t.failures()).toBe(1);
    expect(await t.applier.apply('x\n')).toEqual({ ok: true, value: 'reloaded' });
    expect(t.run.calls).toHaveLength(3);
    expect(await t.reloads()).toBe(1);
  });

  it('reloads again while frr-reload.py --test still finds changes, and gives up after three passes', async () => {
    const pending = {
      code: 0,
      stdout: 'Lines To Delete\n===============\nno hostname vm\nno bfd\n\nLines To Add\n============\n',
      stderr: '',
    };
    const clean = {
      code: 0,
      stdout: 'Lines To Delete\n===============\nno hostname vm\n\nLines To Add\n============\n',
      stderr: '',
    };
    const done = { code: 0, stdout: '', stderr: '' };
    const t = setup({ reloadScript: true, results: [done, pending, done, clean] });
    expect(await t.applier.apply('a\n')).toEqual({ ok: true, value: 'reloaded' });
    expect(t.run.calls.map((c) => c[2])).toEqual(['--reload', '--test', '--reload', '--test']);
    const stuck = setup({ reloadScript: true, results: [done, pending, done, pending, done, pending] });
    const r = await stuck.applier.apply('a\n');
    expect(r).toEqual({ ok: false, error: 'FRR still differs from frr.conf after 3 reloads: no bfd' });
    expect(await stuck.failures()).toBe(1);
  });

  it('without frr-reload.py, merges the file with vtysh -f', async () => {
    const t = setup({ reloadScript: false });
    expect(await t.applier.apply('x\n')).toEqual({ ok: true, value: 'merged' });
    expect(t.run.calls).toEqual([['/usr/bin/vtysh', '-N', 'lab-n1', '-f', join(dir, 'frr.conf')]]);
  });

  it('a directory it cannot write to is a failure value, and FRR is not touched', async () => {
    const t = setup({ reloadScript: true });
    rmSync(dir, { recursive: true, force: true });
    const r = await t.applier.apply('x\n');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/cannot write .*frr\.conf/);
    expect(t.run.calls).toEqual([]);
    expect(await t.failures()).toBe(1);
  });
});

describe('redact', () => {
  it('hides every password value', () => {
    expect(redact(' neighbor a password x1\n neighbor b password  y2 ')).toBe(
      ' neighbor a password <redacted>\n neighbor b password  <redacted> ',
    );
  });
});
