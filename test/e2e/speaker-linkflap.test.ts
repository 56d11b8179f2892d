/**
 * The speaker when a node's own link misbehaves (issue: stay correct when nodes disagree):
 * - the announcing node's eth0 goes down and up again (`ip link set eth0 down/up` inside the node), five
 *   times, with new Services created while it is off the LAN and after it is back. Every failover must
 *   complete; after each flap the node must rejoin (all speakers hear each other, its view of the API is
 *   fresh), announce a new Service it ranks first for, and every IP must be answered by exactly one MAC.
 *   Who holds the older IPs afterwards is the election's business (it may leave them where they are);
 * - a dense node (300 extra veth pairs, each end with an IPv6 link-local address, as with a few hundred
 *   pods) keeps its speaker running and still wins the IPs it ranks first for.
 *
 * Runs beside other suites on the shared lab: own class (its speakers announce only Services of this
 * class besides class-less ones), own pool ranges, own speaker ports and process names.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IPFamily } from '@ironlb/shared';
import { labConfig, labPaths } from '../lab/config.js';
import { readLiveRecord } from '../lab/processes.js';
import { rankNodes } from '../../speaker/src/election/index.js';
import { createAnnouncedService, labNode, netnsExec, waitFor } from './support/index.js';
import { speakerEnvironment, type SpeakerEnvironment } from './support/speaker-env.js';

const POOL = 'e2e-speaker-flap';
const CLASS = 'ironlb.io/e2e-linkflap';
const PORTS = { metrics: 27583, membership: 28056 };
const V4_RANGE = '203.0.113.112/28';
const V6_PREFIX = '2001:db8:100::f0';
/** The first Service's IP: its top-ranked node is the one whose link flaps. */
const IP0 = '203.0.113.113';
const FLAPS = 5;
/** How long eth0 stays down per flap: well past --dead-after (500 ms) and --stale-after (3 s). */
const DOWN_MS = 4000;
const VETHS = 300;

let env: SpeakerEnvironment;
const used = new Set<string>([IP0]);

beforeAll(async () => {
  env = await speakerEnvironment({
    name: POOL,
    addresses: [V4_RANGE, `${V6_PREFIX}00/120`],
    speakerArgs: ['--load-balancer-class', CLASS],
    ports: PORTS,
  });
  await lbService('flap-0', IP0);
  await env.announcer(IP0, 30_000);
}, 120_000);

afterAll(async () => {
  await env.cleanup();
});

/** A LoadBalancer Service of our class with `ip` in its status (as the controller writes it). */
async function lbService(name: string, ip: string): Promise<void> {
  await createAnnouncedService({ namespace: env.ns.name, name, loadBalancerClass: CLASS, ip });
}

/** An unused IP of ours that ranks `node` first among the lab nodes (so `node` must announce it). */
function ipRankingFirst(node: string, family: IPFamily): string {
  const candidates =
    family === 'IPv4'
      ? Array.from({ length: 14 }, (_, i) => `203.0.113.${113 + i}`)
      : Array.from({ length: 256 }, (_, i) => `${V6_PREFIX}${i.toString(16).padStart(2, '0')}`);
  const ip = candidates.find((c) => !used.has(c) && rankNodes(c, env.nodes)[0]?.node === node);
  if (ip === undefined) throw new Error(`no unused ${family} IP ranks ${node} first`);
  used.add(ip);
  return ip;
}

const macOf = (node: string): string => labNode(node).mac.toLowerCase();

/** Every IP answered by exactly one MAC (one ARP request / NS per IP, all at once). */
async function allAnsweredOnce(ips: readonly string[]): Promise<string[]> {
  const answers = await Promise.all(ips.map((ip) => env.capture.whoAnswers(ip, 250)));
  return ips.filter((_, i) => answers[i]?.length !== 1);
}

/**
 * The node that alone answers for `ip` in three probes in a row (a handover may show one MAC for a moment
 * before the owner takes the IP: only a settled answer counts).
 */
async function settled(ip: string, timeoutMs: number): Promise<string> {
  return waitFor(
    async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 3; i++) {
        const macs = await env.capture.whoAnswers(ip, 200);
        if (macs.length !== 1) return undefined;
        seen.add(macs[0] ?? '');
      }
      return seen.size === 1 ? env.nodeOfMac([...seen][0] ?? '') : undefined;
    },
    { what: `one settled answer for ${ip}`, timeoutMs, intervalMs: 0 },
  );
}

/** A gauge of `node`'s speaker, read from its /metrics inside the node's namespace. */
async function gauge(node: string, name: string): Promise<number | undefined> {
  const out = await netnsExec(node, ['curl', '-sf', `http://127.0.0.1:${PORTS.metrics}/metrics`]);
  const m = new RegExp(`^${name} (\\S+)$`, 'mu').exec(out.stdout);
  return m === null ? undefined : Number(m[1]);
}

async function setLink(node: string, state: 'up' | 'down'): Promise<void> {
  await netnsExec(node, ['ip', 'link', 'set', 'eth0', state]);
}

function report(label: string, values: readonly number[]): void {
  console.log(`[linkflap] ${label}: max=${Math.max(...values)} ms all=${values.join(',')}`);
}

describe('speaker: link flaps and dense nodes', () => {
  it(`completes every failover across ${FLAPS} link flaps of the announcing node, with new Services in between`, async () => {
    const ips = [IP0];
    const failover: number[] = [];
    const downServices: number[] = [];
    const rejoin: number[] = [];
    const settle: number[] = [];
    for (let i = 0; i < FLAPS; i++) {
      const victim = await env.announcer(IP0, 20_000);
      const downAt = Date.now();
      await setLink(victim, 'down');
      try {
        // The client sees another node's MAC for IP0 within about a second of the link going down.
        const next = await waitFor(
          async () => {
            const macs = await env.capture.whoAnswers(IP0, 100);
            return macs.length === 1 && macs[0] !== macOf(victim) ? env.nodeOfMac(macs[0] ?? '') : undefined;
          },
          {
            what: `another node answering for ${IP0} after ${victim} went down`,
            timeoutMs: 5000,
            intervalMs: 0,
          },
        );
        failover.push(Date.now() - downAt);
        expect(next).not.toBe(victim);

        // A Service created while the victim is off the LAN, ranking the victim first: its peers announce it.
        const ipDown = ipRankingFirst(victim, 'IPv6');
        await lbService(`flap-${i + 1}-down`, ipDown);
        const writtenAt = Date.now();
        ips.push(ipDown);
        expect(await env.announcer(ipDown, 5000)).not.toBe(victim);
        downServices.push(Date.now() - writtenAt);
        await sleep(Math.max(0, DOWN_MS - (Date.now() - downAt)));
      } finally {
        await setLink(victim, 'up');
      }
      const upAt = Date.now();
      // The node keeps its route to the API server across the flap (the lab sets keep_addr_on_down).
      await netnsExec(victim, ['ip', '-6', 'route', 'get', labConfig().hostIpv6]);

      // The node rejoins: every speaker hears every other one again and its view of the API is fresh.
      await waitFor(
        async () => {
          for (const node of env.nodes)
            if ((await gauge(node, 'ironlb_speaker_members_alive')) !== env.nodes.length) return false;
          return (await gauge(victim, 'ironlb_speaker_view_stale')) === 0;
        },
        {
          what: `${victim} rejoined (all speakers alive, its view fresh)`,
          timeoutMs: 20_000,
          intervalMs: 100,
        },
      );
      rejoin.push(Date.now() - upAt);

      // A Service created after the flap, ranking the flapped node first: the flapped node announces it.
      const ipUp = ipRankingFirst(victim, 'IPv6');
      await lbService(`flap-${i + 1}-up`, ipUp);
      ips.push(ipUp);
      // A peer may hold it for a moment (until the flapped node's claim arrives); it must end on the victim.
      await waitFor(async () => (await settled(ipUp, 2000)) === victim, {
        what: `${ipUp} settled on ${victim}, which ranks first for it`,
        timeoutMs: 10_000,
        intervalMs: 0,
      });
      console.log(`[linkflap] flap ${i + 1}: ${victim} flapped; ${IP0} now on ${await settled(IP0, 5000)}`);
      const left = await waitFor(async () => (await allAnsweredOnce(ips)).length === 0 || undefined, {
        what: `every one of ${ips.length} IPs answered by exactly one MAC after flap ${i + 1}`,
        timeoutMs: 15_000,
        intervalMs: 0,
      }).catch(async (error: unknown) => {
        console.log(`[linkflap] not answered once: ${(await allAnsweredOnce(ips)).join(', ')}`);
        throw error;
      });
      expect(left).toBe(true);
      settle.push(Date.now() - upAt);
    }
    // Steady state after the last flap: every IP keeps its one MAC (no flapping between speakers).
    const owners = async (): Promise<string[]> =>
      (await Promise.all(ips.map((ip) => env.capture.whoAnswers(ip, 250)))).map((m) => m.join(','));
    const first = await owners();
    for (let round = 0; round < 5; round++) expect(await owners()).toEqual(first);
    expect(first.every((m) => m !== '' && !m.includes(','))).toBe(true);
    report('link down → another MAC answers IP0', failover);
    report('status write during the flap → announced by a peer', downServices);
    report('link up → flapped node rejoined (peers alive, view fresh)', rejoin);
    report('link up → every IP answered by exactly one MAC', settle);
    expect(Math.max(...failover)).toBeLessThan(1500);
    expect(Math.max(...downServices)).toBeLessThan(2000);
  });

  it(`keeps the speaker of a node with ${VETHS} extra veth interfaces up, and it announces an IP it wins`, async () => {
    const holder = await env.announcer(IP0);
    const dense = env.nodes.find((n) => n !== holder) ?? '';
    const proc = env.speakers.processOf(dense);
    if (proc === undefined) throw new Error(`no speaker started on ${dense}`);
    const pids = labPaths(labConfig()).pids;
    const alive = (): boolean => readLiveRecord(pids, proc.name)?.pid === proc.pid;
    expect(alive()).toBe(true);
    const pairs = Array.from({ length: VETHS }, (_, i) => i);
    const removeVeths = (): Promise<unknown> =>
      // -force: go on past pairs that do not exist (ip then exits non-zero, which is expected here).
      netnsExec(dense, ['ip', '-force', '-batch', '-'], {
        input: pairs.map((i) => `link del ilbv${i}`).join('\n'),
        timeoutMs: 120_000,
      }).catch(() => undefined);
    await removeVeths();
    await netnsExec(dense, ['ip', '-batch', '-'], {
      input: pairs
        .flatMap((i) => [
          `link add ilbv${i} type veth peer name ilbw${i}`,
          `link set ilbv${i} up`,
          `link set ilbw${i} up`,
        ])
        .join('\n'),
      timeoutMs: 120_000,
    });
    try {
      // Each end carries its own MAC with an IPv6 link-local address: 600 more MACs on the host.
      await waitFor(
        async () => {
          const out = await netnsExec(dense, ['ip', '-6', '-o', 'addr', 'show', 'scope', 'link']);
          return out.stdout.split('\n').filter((l) => / ilb[vw]\d+ /.test(l)).length >= 2 * VETHS;
        },
        { what: `${2 * VETHS} link-local addresses on ${dense}`, timeoutMs: 30_000 },
      );
      // Heartbeats go out every 100 ms and the speaker re-reads the host's interfaces every 5 s: give it
      // several rounds with the new interfaces.
      await sleep(12_000);
      expect(alive()).toBe(true);
      const log = readFileSync(proc.log, 'utf8');
      expect(log).not.toMatch(/"level":"fatal"|too many MACs/);

      // Its peers still hear it: an IP that ranks it first is announced by it, not by a peer.
      const ip = ipRankingFirst(dense, 'IPv4');
      await lbService('dense', ip);
      expect(await settled(ip, 10_000)).toBe(dense);
      expect(alive()).toBe(true);
    } finally {
      await removeVeths();
    }
    const left = await netnsExec(dense, ['ip', '-o', 'link', 'show']);
    expect(left.stdout).not.toMatch(/ ilb[vw]\d+[@:]/);
  });
});
