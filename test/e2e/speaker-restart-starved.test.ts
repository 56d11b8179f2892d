/**
 * A speaker restarted while its node is starved of CPU (issue 10: during a rolling update on a loaded machine the
 * L2 IP moved back and forth between nodes for seconds, and every move cut the client's open exchanges). The
 * speaker announcing the IP is stopped gracefully (handover to the next in rank) and started again inside its own
 * cgroup v1 `cpu` group with a small CFS quota, so its start-up, its API probes and its heartbeats all run slowly;
 * the quota stays until it announces the IP again. A client in the client namespace opens a new connection every 20 ms; the
 * node whose responder answers is the node the client's neighbour entry points at.
 *
 * Expected (docs/election.md, settle rule): the IP moves away from the restarted node once (the handover) and back
 * at most once (when the restarted speaker has settled), or not at all; the client is never more than about a second without an answer;
 * and the client is not moved back to the node before its new speaker announces (the old process, once it handed
 * over, must not announce again on its way out).
 * With IRONLB_E2E_CLAIM_SETTLE=0 the speakers run the rule before (no settle), to compare.
 *
 * Runs beside other suites on the shared lab: own class, pool range, speaker ports and process names.
 */
import { mkdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLbService, setIngress, startClientProbe, waitFor, type ProbeSample } from './support/index.js';
import { speakerEnvironment, type SpeakerEnvironment } from './support/speaker-env.js';
import { firstLoggedFor } from './support/speaker-log.js';

const POOL = 'e2e-speaker-rs';
const CLASS = 'ironlb.io/e2e-speaker-rs';
const PORTS = { metrics: 27719, membership: 28191 };
/** 203.0.113.72/30 is used only here. */
const IP = '203.0.113.73';
/** CPU the restarted speaker gets per trial, in µs of every PERIOD_US (5, 15 and 30 % of one core). */
const QUOTAS_US = [5_000, 15_000, 30_000];
const PERIOD_US = 100_000;
const CGROUP = `/sys/fs/cgroup/cpu/ironlb-e2e-rs-${String(process.pid)}`;
const client = process.env.LAB_CLIENT_NETNS ?? 'ilb-client';
const settleArg = process.env.IRONLB_E2E_CLAIM_SETTLE;
let env: SpeakerEnvironment;

beforeAll(async () => {
  env = await speakerEnvironment({
    name: POOL,
    addresses: ['203.0.113.72/30'],
    speakerArgs: [
      '--load-balancer-class',
      CLASS,
      ...(settleArg === undefined ? [] : [`--claim-settle=${settleArg}`]),
    ],
    ports: PORTS,
  });
  await createLbService({ namespace: env.ns.name, name: 'rs', loadBalancerClass: CLASS });
  await setIngress({ namespace: env.ns.name, name: 'rs', ips: [IP] });
  await env.announcer(IP);
  mkdirSync(CGROUP);
  writeFileSync(`${CGROUP}/cpu.cfs_period_us`, String(PERIOD_US));
}, 120_000);

afterAll(async () => {
  try {
    writeFileSync(`${CGROUP}/cpu.cfs_quota_us`, '-1');
  } catch {
    // never created
  }
  await env.cleanup();
  try {
    rmdirSync(CGROUP);
  } catch {
    // never created, or already gone
  }
});

/** Nodes answering in a row, one entry per change (failed exchanges skipped). */
function answerRuns(samples: readonly ProbeSample[], from: number): string[] {
  const runs: string[] = [];
  for (const s of [...samples].sort((a, b) => a.t - b.t)) {
    if (s.t < from || s.node === null) continue;
    if (runs.at(-1) !== s.node) runs.push(s.node);
  }
  return runs;
}

/** Longest time between the starts of two consecutive answered attempts in [from, to). */
function longestSilenceMs(samples: readonly ProbeSample[], from: number, to: number): number {
  const answered = samples
    .filter((s) => s.node !== null && s.t >= from && s.t < to)
    .map((s) => s.t)
    .sort((a, b) => a - b);
  let longest = 0;
  for (let i = 1; i < answered.length; i++)
    longest = Math.max(longest, (answered[i] ?? 0) - (answered[i - 1] ?? 0));
  return longest;
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** Epoch ms of the first pino line of `log` with this message for the IP, or null. */
function firstLogged(log: string, msg: string): number | null {
  const time = firstLoggedFor(log, msg, IP)?.time;
  return time === undefined ? null : Date.parse(time);
}

/** Start of the first answered attempt by `node` after the first one by another node, or null. */
function firstReturnTo(samples: readonly ProbeSample[], node: string, from: number): number | null {
  let away = false;
  for (const s of [...samples].sort((a, b) => a.t - b.t)) {
    if (s.t < from || s.node === null) continue;
    if (s.node !== node) away = true;
    else if (away) return s.t;
  }
  return null;
}

describe('speaker restarted while starved of CPU', () => {
  it(`the IP moves away once and back at most once; the client is never a second without an answer (3 trials)`, async () => {
    const results: { runs: string[]; silenceMs: number; stale: number; cut: number }[] = [];
    for (const [trial, quota] of QUOTAS_US.entries()) {
      const owner = await env.announcer(IP);
      const probe = startClientProbe({ netns: client, ip: IP, intervalMs: 20 });
      const from = Date.now();
      // The probe agent itself takes a while to start on a loaded machine: begin once the owner has answered.
      await waitFor(() => probe.samples.some((x) => x.node === owner), {
        what: `the client answered by ${owner}`,
        timeoutMs: 15_000,
      });
      await sleep(300);
      const oldLog = env.speakers.processOf(owner)?.log;
      await env.speakers.stop(owner);
      // The new process appends to the same file: read only what it writes.
      const logStart = oldLog === undefined ? 0 : statSync(oldLog).size;
      writeFileSync(`${CGROUP}/cpu.cfs_quota_us`, String(quota));
      const proc = env.speakers.start(owner);
      writeFileSync(`${CGROUP}/cgroup.procs`, String(proc.pid));
      try {
        // Still starved: the restarted speaker (first in rank) takes its IP back once settled.
        await waitFor(async () => (await env.announcer(IP)) === owner, {
          what: `${owner} announcing ${IP} again`,
          timeoutMs: 90_000,
          intervalMs: 250,
        });
        await sleep(3000);
      } finally {
        writeFileSync(`${CGROUP}/cpu.cfs_quota_us`, '-1');
      }
      const to = Date.now();
      const samples = await probe.stop();
      const log = readFileSync(proc.log, 'utf8').slice(logStart);
      const announcedAt = firstLogged(log, 'announcing');
      const returnedAt = firstReturnTo(samples, owner, from);
      const result = {
        runs: answerRuns(samples, from),
        silenceMs: longestSilenceMs(samples, from, to),
        stale: count(log, 'view of the API server is stale'),
        cut: samples.filter((s) => s.t >= from && s.t < to && s.node === null).length,
      };
      console.log(
        `[restart-starved] trial ${String(trial)} (${owner}, ${String(quota / 1000)} % CPU, settle ` +
          `${settleArg ?? 'default'}): answered by ` +
          `${result.runs.join(' → ')}; longest silence ${String(result.silenceMs)} ms; ${String(result.cut)} ` +
          `exchanges failed; the restarted speaker reported its view stale ${String(result.stale)}×`,
      );
      results.push(result);
      // Back on the owner only once its new process announces (not by the old one's leftovers).
      if (returnedAt !== null) expect(announcedAt).not.toBeNull();
      if (returnedAt !== null && announcedAt !== null)
        expect(returnedAt).toBeGreaterThanOrEqual(announcedAt - 50);
      expect(result.runs[0]).toBe(owner);
      expect(result.runs.at(-1)).toBe(owner);
    }
    for (const r of results) {
      // The restarted node: the client leaves it once (the handover) and comes back once, or never leaves. A move
      // between the two other nodes while it is away is not the restart's doing: at load ~20 two unstarved
      // speakers sometimes miss each other's heartbeats for just over --dead-after (logged as "no heartbeat for
      // 5xx ms" on both at once) and one fails over to the other and back; it is printed above, not counted here.
      const owner = r.runs[0];
      const leaves = r.runs.filter((n, i) => n === owner && i < r.runs.length - 1).length;
      const returns = r.runs.filter((n, i) => n === owner && i > 0).length;
      expect(leaves, r.runs.join(' → ')).toBeLessThanOrEqual(1);
      expect(returns, r.runs.join(' → ')).toBeLessThanOrEqual(1);
      expect(r.silenceMs).toBeLessThan(1000);
    }
  }, 400_000);
});
