import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderFrrConfig, type FrrPeer, type FrrPlan } from '../bgp/index.js';
import { createBgpMetrics } from './bgp-metrics.js';
import type { CommandResult, CommandRunner } from './command-runner.js';
import { FrrApplier, redact, vtyshErrors } from './frr-applier.js';

/** A plan with one IPv4 peer announcing `ips` as /32s; `asn` changes the session (a structural change). */
function plan(ips: string[], o: { asn?: number; holdTimeSeconds?: number } = {}): FrrPlan {
  const peer: FrrPeer = {
    name: 'router',
    address: '198.51.100.1',
    asn: o.asn ?? 64513,
    localASN: 64512,
    ebgpMultihop: false,
    holdTimeSeconds: o.holdTimeSeconds,
    prefixes: ips.map((ip) => ({ prefix: `${ip}/32`, communities: [], largeCommunities: [] })),
  };
  return { routerId: '192.0.2.11', bfdProfiles: [], peers: [peer] };
}
const A = plan(['203.0.113.1']);
const B = plan(['203.0.113.1', '203.0.113.2']);
const C = plan(['203.0.113.1', '203.0.113.2', '203.0.113.3']);

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
  incremental: () => Promise<number>;
  incrementalFailures: () => Promise<number>;
  /** Advances the applier's clock. */
  advance: (ms: number) => void;
}

function setup(o: { reloadScript: boolean; results?: CommandResult[] }): Setup {
  let clock = 1000;
  const script = join(dir, 'frr-reload.py');
  if (o.reloadScript) writeFileSync(script, '# stand-in\n');
  const run = fakeRunner(o.results);
  const metrics = createBgpMetrics(new Registry());
  const applier = new FrrApplier({
    target: { instance: 'lab-n1', configDir: dir, reloadScript: script, bindir: '/usr/bin' },
    run,
    metrics,
    logger: pino({ level: 'silent' }),
    reconcileIntervalMs: 60_000,
    now: () => clock,
  });
  const count = async (c: { get: () => Promise<{ values: { value: number }[] }> }): Promise<number> =>
    (await c.get()).values[0]?.value ?? 0;
  return {
    applier,
    run,
    script,
    reloads: () => count(metrics.reloads),
    failures: () => count(metrics.reloadFailures),
    incremental: () => count(metrics.incrementalApplies),
    incrementalFailures: () => count(metrics.incrementalApplyFailures),
    advance: (ms) => {
      clock += ms;
    },
  };
}

describe('FrrApplier', () => {
  it('writes frr.conf and runs frr-reload.py for the instance, only when the text changed', async () => {
    const t = setup({ reloadScript: true });
    expect(await t.applier.apply(A)).toEqual({ ok: true, value: 'reloaded' });
    expect(readFileSync(join(dir, 'frr.conf'), 'utf8')).toBe(renderFrrConfig(A));
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
    expect(await t.applier.apply(plan(['203.0.113.1']))).toEqual({ ok: true, value: 'unchanged' });
    expect(t.run.calls).toHaveLength(2);
    expect(await t.applier.apply(plan(['203.0.113.1'], { asn: 64999 }))).toEqual({
      ok: true,
      value: 'reloaded',
    });
    expect(t.run.calls).toHaveLength(4);
    expect(await t.reloads()).toBe(2);
    expect(await t.failures()).toBe(0);
    // The temporary file was renamed, not left behind.
    expect(readdirSync(dir).sort()).toEqual(['frr-reload.py', 'frr.conf']);
  });

  it('frr.conf is readable by its owner only (0600: it holds passwords), also after a leftover temporary file', async () => {
    const t = setup({ reloadScript: true });
    writeFileSync(join(dir, '.frr.conf.ironlb-tmp'), 'stale\n', { mode: 0o644 });
    expect((await t.applier.apply(A)).ok).toBe(true);
    expect(statSync(join(dir, 'frr.conf')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'frr.conf'), 'utf8')).toBe(renderFrrConfig(A));
    expect(await t.applier.apply(B)).toEqual({ ok: true, value: 'incremental' });
    expect(statSync(join(dir, 'frr.conf')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'frr.conf'), 'utf8')).toBe(renderFrrConfig(B));
  });

  it('a failed reload is counted, reported without passwords, and retried with the same text', async () => {
    const t = setup({
      reloadScript: true,
      results: [{ code: 1, stdout: 'Failed: neighbor 192.0.2.61 password hunter2', stderr: '' }],
    });
    const first = await t.applier.apply(A);
    expect(first.ok).toBe(false);
    if (!first.ok) {
      expect(first.error).toContain('frr-reload.py exited with 1');
      expect(first.error).toContain('password <redacted>');
      expect(first.error).not.toContain('hunter2');
    }
    expect(await t.failures()).toBe(1);
    expect(await t.applier.apply(A)).toEqual({ ok: true, value: 'reloaded' });
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
    expect(await t.applier.apply(A)).toEqual({ ok: true, value: 'reloaded' });
    expect(t.run.calls.map((c) => c[2])).toEqual(['--reload', '--test', '--reload', '--test']);
    const stuck = setup({ reloadScript: true, results: [done, pending, done, pending, done, pending] });
    const r = await stuck.applier.apply(A);
    expect(r).toEqual({ ok: false, error: 'FRR still differs from frr.conf after 3 reloads: no bfd' });
    expect(await stuck.failures()).toBe(1);
  });

  it('without frr-reload.py, merges the file with vtysh -f', async () => {
    const t = setup({ reloadScript: false });
    expect(await t.applier.apply(A)).toEqual({ ok: true, value: 'merged' });
    expect(t.run.calls).toEqual([['/usr/bin/vtysh', '-N', 'lab-n1', '-f', join(dir, 'frr.conf')]]);
  });

  it('a directory it cannot write to is a failure value, and FRR is not touched', async () => {
    const t = setup({ reloadScript: true });
    rmSync(dir, { recursive: true, force: true });
    const r = await t.applier.apply(A);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/cannot write .*frr\.conf/);
    expect(t.run.calls).toEqual([]);
    expect(await t.failures()).toBe(1);
  });
});

describe('FrrApplier, prefix-only changes', () => {
  it('applies added and removed prefixes with one vtysh session, checked, and keeps frr.conf current', async () => {
    const t = setup({ reloadScript: true });
    expect(await t.applier.apply(A)).toEqual({ ok: true, value: 'reloaded' });
    expect(await t.applier.apply(C)).toEqual({ ok: true, value: 'incremental' });
    expect(t.run.calls).toHaveLength(3);
    const session = t.run.calls[2] ?? [];
    expect(session.slice(0, 3)).toEqual(['/usr/bin/vtysh', '-N', 'lab-n1']);
    const commands = session.slice(3).filter((_, i) => i % 2 === 1);
    expect(
      session
        .slice(3)
        .filter((_, i) => i % 2 === 0)
        .every((f) => f === '-c'),
    ).toBe(true);
    expect(commands[0]).toBe('configure terminal');
    expect(commands.at(-1)).toBe('end');
    expect(commands.filter((c) => c.startsWith('network '))).toEqual([
      expect.stringMatching(/^network 203\.0\.113\.2\/32 route-map ironlb-tag-\d+$/),
      expect.stringMatching(/^network 203\.0\.113\.3\/32 route-map ironlb-tag-\d+$/),
    ]);
    expect(readFileSync(join(dir, 'frr.conf'), 'utf8')).toBe(renderFrrConfig(C));
    expect(await t.applier.apply(A)).toEqual({ ok: true, value: 'incremental' });
    const back = t.run.calls[3] ?? [];
    expect(back.filter((c) => c.includes('network'))).toEqual([
      'no network 203.0.113.2/32',
      'no network 203.0.113.3/32',
    ]);
    expect(await t.incremental()).toBe(2);
    expect(await t.reloads()).toBe(1);
    expect(await t.applier.apply(A)).toEqual({ ok: true, value: 'unchanged' });
    expect(t.run.calls).toHaveLength(4);
  });

  it('a session change is structural: full reload', async () => {
    const t = setup({ reloadScript: true });
    await t.applier.apply(A);
    expect(await t.applier.apply(plan(['203.0.113.1', '203.0.113.2'], { holdTimeSeconds: 30 }))).toEqual({
      ok: true,
      value: 'reloaded',
    });
    expect(t.run.calls.map((c) => c[2])).toEqual(['--reload', '--test', '--reload', '--test']);
    expect(await t.incremental()).toBe(0);
  });

  it.each([
    ['exits non-zero', { code: 1, stdout: '% Unknown command: network x', stderr: '' }],
    ['prints an error but exits 0', { code: 0, stdout: '% Invalid command\n', stderr: '' }],
    ['times out', { code: null, stdout: '', stderr: 'killed' }],
  ])('a vtysh session that %s is followed at once by a full reload of the same file', async (_, failed) => {
    const ok0 = { code: 0, stdout: '', stderr: '' };
    const t = setup({ reloadScript: true, results: [ok0, ok0, failed] });
    await t.applier.apply(A);
    expect(await t.applier.apply(B)).toEqual({ ok: true, value: 'reloaded' });
    expect(t.run.calls.map((c) => c[2] ?? '')).toEqual([
      '--reload',
      '--test',
      'lab-n1',
      '--reload',
      '--test',
    ]);
    expect(await t.incrementalFailures()).toBe(1);
    expect(await t.incremental()).toBe(0);
    expect(await t.reloads()).toBe(2);
    expect(await t.failures()).toBe(0);
    // The state is known again: the next prefix change is incremental.
    expect(await t.applier.apply(C)).toEqual({ ok: true, value: 'incremental' });
  });

  it('after a failed full reload, the next change is a full reload too (FRR state unknown)', async () => {
    const ok0 = { code: 0, stdout: '', stderr: '' };
    const t = setup({ reloadScript: true, results: [ok0, ok0, { code: 1, stdout: '', stderr: 'x' }] });
    await t.applier.apply(A);
    expect((await t.applier.apply(plan(['203.0.113.1'], { asn: 1 }))).ok).toBe(false);
    expect(await t.applier.apply(B)).toEqual({ ok: true, value: 'reloaded' });
  });

  it('reconciles with a full reload once the interval has passed, even when nothing changed', async () => {
    const t = setup({ reloadScript: true });
    await t.applier.apply(A);
    t.advance(59_000);
    expect(await t.applier.apply(A)).toEqual({ ok: true, value: 'unchanged' });
    expect(await t.applier.apply(B)).toEqual({ ok: true, value: 'incremental' });
    t.advance(1_000);
    expect(await t.applier.apply(B)).toEqual({ ok: true, value: 'reloaded' });
    expect(await t.applier.apply(B)).toEqual({ ok: true, value: 'unchanged' });
    expect(await t.reloads()).toBe(2);
  });
});

describe('vtyshErrors', () => {
  it('finds the lines vtysh marks as errors, without passwords', () => {
    expect(vtyshErrors('')).toBeUndefined();
    expect(vtyshErrors('Graceful restart configuration changed\n')).toBeUndefined();
    expect(vtyshErrors('ok\n% Unknown command: neighbor x password hunter2\n')).toBe(
      '% Unknown command: neighbor x password <redacted>',
    );
  });
});

describe('redact', () => {
  it('hides every password value', () => {
    expect(redact(' neighbor a password x1\n neighbor b password  y2 ')).toBe(
      ' neighbor a password <redacted>\n neighbor b password  <redacted> ',
    );
  });
});
