/**
 * Graceful restart as the speaker renders it, between two real FRR 8.4 instances: a "router" (graceful-restart
 * helper, FRR's default, configured like the lab's router) and a "speaker" loaded with `renderFrrConfig`'s output.
 * - A dead speaker (everything it sends dropped) loses its route at the router when the hold timer expires: the
 *   rendered `no bgp graceful-restart notification` keeps the router from treating its own Hold Timer Expired
 *   NOTIFICATION as a restart (with the RFC 8538 N-bit it kept the route as stale for the 120 s restart time).
 * - The speaker's daemons stopped with SIGTERM and started again with the same frr.conf: the route never leaves
 *   the router's kernel (the session is closed without a NOTIFICATION: a graceful restart).
 * Each instance (zebra, bgpd, bfdd, path space = its namespace's name) runs in its own namespace, joined by a veth
 * pair with private addresses; stopped by the PIDs in its run directory and removed in afterAll. Needs root, ip,
 * nft and Debian's frr; skipped otherwise (the test names say so).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderFrrConfig } from '../bgp/index.js';

const FRR = '/usr/lib/frr';
const DAEMONS = ['zebra', 'bgpd', 'bfdd'] as const;
const haveFrr = DAEMONS.every((d) => existsSync(join(FRR, d)));
const canRun =
  haveFrr &&
  process.getuid?.() === 0 &&
  spawnSync('ip', ['-V']).status === 0 &&
  spawnSync('nft', ['--version']).status === 0;
const why = canRun ? '' : ' (SKIPPED: needs root, ip, nft and Debian frr)';

const SUFFIX = randomBytes(3).toString('hex');
const ROUTER = `ilb-t-grr${SUFFIX}`;
const SPEAKER = `ilb-t-grs${SUFFIX}`;
const ROUTER_IP = '10.251.12.1';
const SPEAKER_IP = '10.251.12.2';
const PREFIX = '10.251.99.1/32';
/** Speaker-side timers (the router's are 3/9): the session's hold time is the smaller, 3 s. */
const HOLD_S = 3;

const dir = mkdtempSync(join(tmpdir(), 'ironlb-gr-netns-'));

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** stdout only: vtysh warns on stderr that the instance has no vtysh.conf. */
function vtysh(name: string, ...args: string[]): { status: number | null; out: string } {
  const r = spawnSync('vtysh', ['-N', name, ...args], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout };
}

async function startFrr(name: string, config: string): Promise<void> {
  const runDir = `/var/run/frr/${name}`;
  mkdirSync(runDir, { recursive: true });
  sh('chown', ['frr:frr', '/var/run/frr', runDir]);
  for (const d of DAEMONS) {
    sh('ip', [
      ...['netns', 'exec', name, join(FRR, d), '-d', '-N', name, '-F', 'datacenter'],
      ...['-f', '/dev/null', '-P', '0', '-i', `${runDir}/${d}.pid`, '--log', `file:${dir}/${name}-${d}.log`],
    ]);
    const deadline = Date.now() + 20_000;
    while (vtysh(name, '-d', d, '-c', 'show version').status !== 0) {
      if (Date.now() > deadline) throw new Error(`${d} of ${name} did not answer`);
      await sleep(100);
    }
  }
  const file = join(dir, `${name}.conf`);
  writeFileSync(file, config);
  sh('vtysh', ['-N', name, '-f', file]);
}

/** SIGTERM to each daemon by its PID file; resolves once every process is gone. */
async function stopFrr(name: string): Promise<void> {
  const pids: number[] = [];
  for (const d of ['bgpd', 'bfdd', 'zebra']) {
    const pidFile = `/var/run/frr/${name}/${d}.pid`;
    if (!existsSync(pidFile)) continue;
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!(pid > 0)) continue;
    try {
      process.kill(pid, 'SIGTERM');
      pids.push(pid);
    } catch {
      // already gone
    }
  }
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + 20_000;
  while (pids.some(alive) && Date.now() < deadline) await sleep(50);
  rmSync(`/var/run/frr/${name}`, { recursive: true, force: true });
}

const ROUTER_CONFIG = [
  'frr defaults datacenter',
  'route-map NOTHING deny 10',
  'exit',
  'router bgp 64512',
  ` bgp router-id ${ROUTER_IP}`,
  ' no bgp ebgp-requires-policy',
  ' no bgp default ipv4-unicast',
  ` neighbor ${SPEAKER_IP} remote-as external`,
  ' address-family ipv4 unicast',
  `  neighbor ${SPEAKER_IP} activate`,
  `  neighbor ${SPEAKER_IP} route-map NOTHING out`,
  ' exit-address-family',
  'exit',
  '',
].join('\n');

const SPEAKER_CONFIG = renderFrrConfig({
  routerId: SPEAKER_IP,
  bfdProfiles: [],
  peers: [
    {
      name: 'router',
      address: ROUTER_IP,
      asn: 64512,
      localASN: 64513,
      ebgpMultihop: false,
      holdTimeSeconds: HOLD_S,
      keepaliveTimeSeconds: 1,
      prefixes: [{ prefix: PREFIX, communities: [], largeCommunities: [] }],
    },
  ],
});

/** The router's kernel route to the prefix ('' when there is none). */
function routerRoute(): string {
  return sh('ip', ['-n', ROUTER, '-4', 'route', 'show', PREFIX]).trim();
}

function established(): boolean {
  const out = vtysh(ROUTER, '-c', `show bgp neighbors ${SPEAKER_IP} json`).out;
  const json = JSON.parse(out === '' ? '{}' : out) as Record<string, { bgpState?: string }>;
  return json[SPEAKER_IP]?.bgpState === 'Established';
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
  return Date.now() - start;
}

describe.skipIf(!canRun)(`graceful restart between two FRR 8.4 instances${why}`, () => {
  beforeAll(async () => {
    for (const ns of [ROUTER, SPEAKER]) {
      sh('ip', ['netns', 'add', ns]);
      sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    sh('ip', ['link', 'add', 'gr-r', 'netns', ROUTER, 'type', 'veth', 'peer', 'gr-s', 'netns', SPEAKER]);
    sh('ip', ['-n', ROUTER, 'addr', 'add', `${ROUTER_IP}/30`, 'dev', 'gr-r']);
    sh('ip', ['-n', SPEAKER, 'addr', 'add', `${SPEAKER_IP}/30`, 'dev', 'gr-s']);
    sh('ip', ['-n', ROUTER, 'link', 'set', 'gr-r', 'up']);
    sh('ip', ['-n', SPEAKER, 'link', 'set', 'gr-s', 'up']);
    sh('ip', ['netns', 'exec', SPEAKER, 'nft', 'add table inet gr']);
    sh('ip', [
      'netns',
      'exec',
      SPEAKER,
      'nft',
      'add chain inet gr out { type filter hook output priority 0; }',
    ]);
    await startFrr(ROUTER, ROUTER_CONFIG);
    await startFrr(SPEAKER, SPEAKER_CONFIG);
  }, 90_000);

  afterAll(async () => {
    await stopFrr(SPEAKER);
    await stopFrr(ROUTER);
    for (const ns of [ROUTER, SPEAKER]) spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('renders graceful restart without the N-bit', () => {
    expect(SPEAKER_CONFIG).toContain('\n bgp graceful-restart\n');
    expect(SPEAKER_CONFIG).toContain('\n no bgp graceful-restart notification\n');
  });

  it('a restart of the speaker FRR (SIGTERM, start with the same frr.conf) keeps the route at the router', async () => {
    await until('route at the router', () => routerRoute() !== '', 60_000);
    const samples: string[] = [];
    const sampling = { on: true };
    const sampler = (async (): Promise<void> => {
      while (sampling.on) {
        samples.push(routerRoute());
        await sleep(100);
      }
    })();
    try {
      await stopFrr(SPEAKER);
      await sleep(1000);
      await startFrr(SPEAKER, SPEAKER_CONFIG);
      await until('session back', established, 60_000);
      await sleep(2000); // past the End-of-RIB: the stale path is replaced, not dropped
    } finally {
      sampling.on = false;
      await sampler;
    }
    expect(samples.length).toBeGreaterThan(20);
    expect(samples.filter((s) => !s.includes(`via ${SPEAKER_IP}`))).toEqual([]);
  }, 120_000);

  it('a dead speaker (nothing it sends arrives) leaves the router within the hold time', async () => {
    await until('session established', established, 60_000);
    await until('route at the router', () => routerRoute() !== '', 30_000);
    sh('ip', ['netns', 'exec', SPEAKER, 'nft', 'add rule inet gr out oifname gr-s drop']);
    try {
      // The hold time runs from the last keepalive received, at most 1 s before the cut; 3 s of slack for load.
      const ms = await until('route removed', () => routerRoute() === '', (HOLD_S + 3) * 1000);
      expect(ms).toBeLessThan((HOLD_S + 3) * 1000);
      const out = vtysh(ROUTER, '-c', `show bgp neighbors ${SPEAKER_IP} json`).out;
      const peer = (JSON.parse(out) as Record<string, { lastResetDueTo?: string; bgpStateIs?: string }>)[
        SPEAKER_IP
      ];
      expect(peer?.lastResetDueTo).toBe('BGP Notification send');
      expect(peer?.bgpStateIs).not.toBe('passiveNSF');
    } finally {
      sh('ip', ['netns', 'exec', SPEAKER, 'nft', 'flush chain inet gr out']);
    }
  }, 60_000);
});
