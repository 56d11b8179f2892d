/**
 * FRR itself takes what the renderer writes: every golden frr.conf passes `vtysh --dryrun`, and the applier
 * (real frr-reload.py, real vtysh) moves a private FRR 8.4 instance from one golden configuration to the next
 * until FRR's running configuration is exactly the file (frr-reload.py --test finds nothing left to change).
 * The instance (zebra, bgpd, bfdd with path space ilb-t-frr<suffix>) runs in its own namespace ilb-t-frr<suffix>,
 * is stopped by the PIDs in its run directory and removed in afterAll. Needs root and Debian's frr +
 * frr-pythontools; skipped otherwise (the test names say so).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FrrPlan, FrrPrefix } from '../bgp/index.js';
import { GOLDEN_PLANS } from '../bgp/testing/frr-plans.js';
import { createBgpMetrics } from './bgp-metrics.js';
import { execRunner } from './command-runner.js';
import { DEFAULT_FRR_TARGET, FrrApplier, type FrrTarget } from './frr-applier.js';

const FRR = '/usr/lib/frr';
const haveFrr = ['zebra', 'bgpd', 'bfdd', 'frr-reload.py'].every((f) => existsSync(join(FRR, f)));
const canRun = haveFrr && process.getuid?.() === 0 && spawnSync('ip', ['-V']).status === 0;
const why = haveFrr ? '' : ' (SKIPPED: Debian frr / frr-pythontools not installed)';

const NAME = `ilb-t-frr${randomBytes(3).toString('hex')}`;
const RUN_DIR = `/var/run/frr/${NAME}`;

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** stdout only: vtysh warns on stderr that the instance has no vtysh.conf. */
function vtysh(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync('vtysh', ['-N', NAME, ...args], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout };
}

/** What frr-reload.py would still change, minus the hostname (the speaker does not manage it). */
function pendingChanges(file: string): string[] {
  const r = spawnSync(
    'python3',
    [join(FRR, 'frr-reload.py'), '--test', '--stdout', '--bindir', '/usr/bin', '--pathspace', NAME, file],
    { encoding: 'utf8' },
  );
  const text = r.stdout.slice(r.stdout.indexOf('Lines To Delete'));
  return text
    .split('\n')
    .filter(
      (l) => l.trim() !== '' && !/^(=+|Lines To (Delete|Add))$/.test(l) && !l.startsWith('no hostname'),
    );
}

describe.skipIf(!haveFrr)(`rendered frr.conf: vtysh --dryrun accepts every golden file${why}`, () => {
  it.each(Object.keys(GOLDEN_PLANS))('%s', (name) => {
    const file = new URL(`../bgp/testing/golden/${name}.conf`, import.meta.url).pathname;
    const r = spawnSync('vtysh', ['--dryrun', '-f', file], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).not.toMatch(/Unknown command|error/i);
    expect(r.status).toBe(0);
  });
});

describe.skipIf(!canRun)(`FrrApplier against a real FRR 8.4 instance${why}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ironlb-frr-netns-'));
  const target: FrrTarget = { ...DEFAULT_FRR_TARGET, instance: NAME, configDir: dir };
  const metrics = createBgpMetrics(new Registry());
  const applier = new FrrApplier({ target, run: execRunner, metrics, logger: pino({ level: 'silent' }) });

  beforeAll(async () => {
    sh('ip', ['netns', 'add', NAME]);
    sh('ip', ['-n', NAME, 'link', 'set', 'lo', 'up']);
    mkdirSync(RUN_DIR, { recursive: true });
    sh('chown', ['frr:frr', '/var/run/frr', RUN_DIR]);
    for (const d of ['zebra', 'bgpd', 'bfdd']) {
      sh('ip', [
        'netns',
        'exec',
        NAME,
        join(FRR, d),
        '-d',
        '-N',
        NAME,
        '-f',
        '/dev/null',
        '-P',
        '0',
        '-i',
        `${RUN_DIR}/${d}.pid`,
        '--log',
        `file:${dir}/${d}.log`,
      ]);
      const deadline = Date.now() + 20_000;
      while (vtysh('-d', d, '-c', 'show version').status !== 0) {
        if (Date.now() > deadline) throw new Error(`${d} of ${NAME} did not answer`);
        await sleep(100);
      }
    }
  }, 60_000);

  afterAll(() => {
    for (const d of ['bgpd', 'bfdd', 'zebra']) {
      const pidFile = `${RUN_DIR}/${d}.pid`;
      if (existsSync(pidFile)) {
        const pid = Number(readFileSync(pidFile, 'utf8').trim());
        if (pid > 0) {
          try {
            process.kill(pid, 'SIGTERM');
          } catch {
            // already gone
          }
        }
      }
    }
    spawnSync('ip', ['netns', 'del', NAME]);
    rmSync(RUN_DIR, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves FRR from one rendered configuration to the next; the running configuration is exactly the file', async () => {
    for (const name of ['one-peer-v4', 'dual-stack-everything', 'one-peer-v4', 'no-peers']) {
      const r = await applier.apply(GOLDEN_PLANS[name]!);
      expect(r, name).toEqual({ ok: true, value: 'reloaded' });
      expect(pendingChanges(applier.configPath), name).toEqual([]);
    }
    const running = vtysh('-c', 'show running-config').out;
    expect(running).not.toContain('router bgp');
    expect((await metrics.reloads.get()).values[0]?.value).toBe(4);
  }, 120_000);

  it('the live configuration carries the peers, prefixes and BFD profiles of the plan', async () => {
    expect(await applier.apply(GOLDEN_PLANS['dual-stack-everything']!)).toEqual({
      ok: true,
      value: 'reloaded',
    });
    const bgp = JSON.parse(vtysh('-c', 'show bgp neighbors json').out) as Record<string, unknown>;
    expect(Object.keys(bgp).sort()).toEqual(['198.51.100.1', '198.51.100.2', '198.51.100.9', '2001:db8::1']);
    const table = vtysh('-c', 'show bgp ipv4 unicast json').out;
    for (const p of ['203.0.113.0/24', '203.0.113.3/32', '203.0.113.20/32', '203.0.113.21/32'])
      expect(table).toContain(`"${p}"`);
    expect(vtysh('-c', 'show running-config').out).toMatch(/bfd\n profile fast\n[\s\S]* profile slow\n/);
  }, 60_000);

  it('prefix-only changes go through one vtysh session each and leave FRR exactly on the file', async () => {
    const base = GOLDEN_PLANS['dual-stack-everything']!;
    /** `base` with the prefixes of the peer at `address` changed by `f`. */
    const edit = (from: FrrPlan, address: string, f: (x: readonly FrrPrefix[]) => FrrPrefix[]): FrrPlan => ({
      ...from,
      peers: from.peers.map((p) => (p.address === address ? { ...p, prefixes: f(p.prefixes) } : p)),
    });
    const px = (prefix: string, o: Partial<FrrPrefix> = {}): FrrPrefix => ({
      prefix,
      communities: [],
      largeCommunities: [],
      ...o,
    });
    const steps: [string, FrrPlan][] = [];
    let p = base;
    p = edit(p, '198.51.100.1', (x) => [...x, px('203.0.113.40/32'), px('203.0.113.41/32')]);
    steps.push(['IPv4 prefixes of an existing class', p]);
    p = edit(p, '2001:db8::1', (x) => [...x, px('2001:db8:ff::20/128', { communities: ['65000:9'] })]);
    steps.push(['an IPv6 prefix of a new class', p]);
    p = edit(p, '198.51.100.1', (x) =>
      x.map((y) => (y.prefix === '203.0.113.40/32' ? { ...y, localPref: 300 } : y)),
    );
    steps.push(['local preference of one prefix', p]);
    p = edit(p, '198.51.100.1', (x) => x.filter((y) => y.prefix !== '203.0.113.21/32'));
    steps.push(['the last prefix of a class removed', p]);
    p = edit(p, '2001:db8::1', () => []);
    steps.push(['every IPv6 prefix removed', p]);
    steps.push(['back to the start', base]);
    for (const [what, next] of steps) {
      expect(await applier.apply(next), what).toEqual({ ok: true, value: 'incremental' });
      expect(pendingChanges(applier.configPath), what).toEqual([]);
    }
    const table = vtysh('-c', 'show bgp ipv4 unicast json').out;
    expect(table).toContain('"203.0.113.20/32"');
    expect(table).not.toContain('"203.0.113.40/32"');
    expect((await metrics.incrementalApplies.get()).values[0]?.value).toBe(steps.length);
    expect((await metrics.incrementalApplyFailures.get()).values[0]?.value ?? 0).toBe(0);
  }, 120_000);
});
