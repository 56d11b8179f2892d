/**
 * Speaker ARP benchmark on the lab: 1,000 announced IPs (128 IPv4 in 203.0.113.128/25 + 872 IPv6, one per
 * Service, status written directly), three speakers; from the client namespace ARP requests for random
 * announced IPv4 addresses at fixed offered rates; replies counted per MAC; the speakers' own counters
 * separate loss on the way in from loss on the way back; VmRSS of each speaker idle, with 1,000 IPs and after
 * the load.
 *
 * Run (lab up, no other speakers running): pnpm --filter @ironlb/bench bench:speaker-arp
 *   [--rates 1000,5000,10000,20000] [--duration-ms 5000] [--cpu-prof <dir>]
 *   [--net-raw-only] (speakers as the chart runs them: UID 0 with CAP_NET_RAW alone, under setpriv)
 *   [--packet-receive-buffer <bytes>] (passed to the speakers)
 *   [--node-flags="<flags>"] (node flags of the speakers, e.g. the chart's NODE_OPTIONS; note the "=")
 *   [--cgroup-parent /sys/fs/cgroup/memory/<dir>] (cgroup v1: each speaker moved into its own child cgroup
 *   <dir>/<node>, limited to --cgroup-limit-mib, default 256, as a pod; the child cgroups are left for the caller)
 *   [--heap-snapshot-dir <dir>] (the first speaker writes a heap snapshot there idle and with 1,000 IPs, after
 *   its RSS was read; analyse with `bench:heap-breakdown analyse <file>`)
 *   [--idle-ms <ms>] (wait this long after the start before the idle reading; default 0)
 *   [--settle-ms <ms>] (a second reading with 1,000 IPs this long after the first; default 0 = none)
 * Each rate also prints the frames the kernel dropped because a speaker's ARP socket buffer was full.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  ClientAgent,
  arpSocketStats,
  benchLab,
  createServices,
  loadavg,
  rssMiB,
  runningSpeakers,
  setStatuses,
  sleep,
  speakerMetrics,
  DEFAULT_METRICS_PORT,
  type BenchLab,
} from './speaker-lab.js';
import { netnsExec, waitFor } from '../test/e2e/support/index.js';
import { NET_RAW_ONLY } from '../test/e2e/support/speakers.js';
import { labConfig } from '../test/lab/config.js';
import { registerLabUser, releaseLabUser } from '../test/lab/sharing.js';
import type { LoadResult } from './arp-load-agent.js';

const V4_COUNT = 128;
const TOTAL = 1000;
const V6_PREFIX = '2001:db8:100::b:';
const V4 = Array.from({ length: V4_COUNT }, (_, i) => `203.0.113.${128 + i}`);
const V6 = Array.from({ length: TOTAL - V4_COUNT }, (_, i) => `${V6_PREFIX}${i.toString(16)}`);

const RECEIVED = 'ironlb_speaker_requests_received_total{family="ipv4"}';
const REPLIED = 'ironlb_speaker_replies_sent_total{family="ipv4"}';

const HEAP_USED = 'ironlb_speaker_nodejs_heap_size_used_bytes';

const HEAP_TOTAL = 'ironlb_speaker_nodejs_heap_size_total_bytes';
const EXTERNAL = 'ironlb_speaker_nodejs_external_memory_bytes';

/** One field (kB) of /proc/<pid>/status, in MiB. */
function statusMiB(pid: number, field: string): number {
  const re = new RegExp(`^${field}:\\s*(\\d+)`, 'm');
  return Number(re.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN) / 1024;
}

/**
 * VmRSS of each of our speakers, with its parts in brackets: RssAnon / RssFile (/proc), the main isolate's V8
 * heap used / committed and external memory (its own /metrics).
 */
async function rssLine(lab: BenchLab, label: string): Promise<string> {
  const parts: string[] = [];
  for (const [node, p] of lab.speakers) {
    const m = await speakerMetrics(node);
    const mib = (name: string): string => ((m.get(name) ?? Number.NaN) / 1048576).toFixed(1);
    parts.push(
      `${node}=${rssMiB(p.pid).toFixed(1)} (anon ${statusMiB(p.pid, 'RssAnon').toFixed(1)}` +
        ` file ${statusMiB(p.pid, 'RssFile').toFixed(1)} heap ${mib(HEAP_USED)}/${mib(HEAP_TOTAL)}` +
        ` external ${mib(EXTERNAL)})`,
    );
  }
  return `[rss] ${label}: ${parts.join(' ')} MiB (load ${loadavg()})`;
}

/**
 * With --heap-snapshot-dir: copies /proc/<pid>/smaps and smaps_rollup of the first speaker there, then SIGUSR2 to it (started with --heapsnapshot-signal=SIGUSR2), after its
 * RSS was read (a snapshot grows the heap it measures), and waits until the file is written.
 */
async function snapshot(lab: BenchLab, dir: string | undefined, label: string): Promise<void> {
  if (dir === undefined) return;
  const first = [...lab.speakers][0];
  if (!first) return;
  const [node, p] = first;
  const stem = label.replace(/\W+/g, '-');
  writeFileSync(join(dir, `${stem}.smaps`), readFileSync(`/proc/${p.pid}/smaps`));
  writeFileSync(join(dir, `${stem}.smaps_rollup`), readFileSync(`/proc/${p.pid}/smaps_rollup`));
  const before = new Set(readdirSync(dir));
  process.kill(p.pid, 'SIGUSR2');
  await waitFor(
    () => Promise.resolve(readdirSync(dir).some((f) => !before.has(f) && f.endsWith('.heapsnapshot'))),
    { what: `heap snapshot of ${node}`, timeoutMs: 120_000, intervalMs: 1000 },
  );
  await sleep(3000);
  const file = readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
  console.log(`[heap] ${label}: ${node} (pid ${String(p.pid)}) ${join(dir, file ?? '?')}`);
}

/** rmem_max, each speaker's effective capabilities, and its ARP socket buffer (metric and `ss`). */
async function bufferLine(lab: BenchLab): Promise<string> {
  const parts: string[] = [];
  for (const [node, p] of lab.speakers) {
    const rmemMax = (await netnsExec(node, ['cat', '/proc/sys/net/core/rmem_max'])).stdout.trim();
    const capEff = /^CapEff:\s*(\w+)$/m.exec(readFileSync(`/proc/${p.pid}/status`, 'utf8'))?.[1];
    const metric = (await speakerMetrics(node)).get('ironlb_speaker_socket_rcvbuf_bytes{interface="eth0"}');
    const ss = await arpSocketStats(node, p.pid);
    parts.push(
      `${node}: rmem_max=${rmemMax} CapEff=${capEff ?? '?'} rcvbuf metric=${metric} ss=${ss.rcvbuf}`,
    );
  }
  return `[buffer] ${parts.join('; ')}`;
}

async function announcedTotal(nodes: readonly string[]): Promise<number> {
  let sum = 0;
  for (const node of nodes) {
    const m = await speakerMetrics(node);
    sum +=
      (m.get('ironlb_speaker_announced_ips{family="ipv4"}') ?? 0) +
      (m.get('ironlb_speaker_announced_ips{family="ipv6"}') ?? 0);
  }
  return sum;
}

/** Waits until the kube-proxy stand-ins have put all our IPs on kube-lb0 (their `ip addr` churn costs CPU). */
async function kubeProxiesSettled(nodes: readonly string[]): Promise<void> {
  for (const node of nodes) {
    await waitFor(
      async () => {
        const { stdout } = await netnsExec(node, ['ip', '-o', 'addr', 'show', 'dev', 'kube-lb0']);
        return stdout.split('\n').filter((l) => l.includes(V6_PREFIX)).length >= V6.length;
      },
      { what: `kube-proxy stand-in on ${node} settled`, timeoutMs: 180_000, intervalMs: 1000 },
    );
  }
}

interface Counters {
  received: number;
  replied: number;
  /** Frames the kernel dropped at our speaker's ARP socket (receive buffer full). */
  kernelDrops: number;
  /** Replies sent by speakers that are not ours (another run's, on the default metrics port). */
  othersReplied: number;
}

async function counters(lab: BenchLab): Promise<Map<string, Counters>> {
  const out = new Map<string, Counters>();
  for (const node of lab.nodes) {
    const m = await speakerMetrics(node);
    const others = await speakerMetrics(node, DEFAULT_METRICS_PORT).catch(() => new Map<string, number>());
    const pid = lab.speakers.get(node)?.pid ?? 0;
    out.set(node, {
      received: m.get(RECEIVED) ?? 0,
      replied: m.get(REPLIED) ?? 0,
      kernelDrops: (await arpSocketStats(node, pid)).drops,
      othersReplied: others.get(REPLIED) ?? 0,
    });
  }
  return out;
}

interface RateRow {
  rate: number;
  result: LoadResult;
  received: Record<string, number>;
  kernelDrops: Record<string, number>;
  replied: number;
  othersReplied: number;
  load: string;
}

/**
 * ARP requests each speaker counts with no load from us (other speakers' conflict probes and gratuitous
 * ARPs), per ms: subtracted from the counts under load.
 */
async function baseline(o: { lab: BenchLab; durationMs: number }): Promise<Record<string, number>> {
  const before = await counters(o.lab);
  const start = performance.now();
  await sleep(o.durationMs);
  const after = await counters(o.lab);
  const ms = performance.now() - start;
  const perMs: Record<string, number> = {};
  for (const node of o.lab.nodes)
    perMs[node] = ((after.get(node)?.received ?? 0) - (before.get(node)?.received ?? 0)) / ms;
  return perMs;
}

async function runRate(o: {
  lab: BenchLab;
  agent: ClientAgent;
  rate: number;
  durationMs: number;
  /** Background ARP requests per ms per node (see baseline). */
  background: Record<string, number>;
}): Promise<RateRow> {
  const before = await counters(o.lab);
  const start = performance.now();
  const result = await o.agent.load({ targets: V4, rate: o.rate, durationMs: o.durationMs, drainMs: 1000 });
  const load = loadavg();
  const after = await counters(o.lab);
  const windowMs = performance.now() - start;
  const received: Record<string, number> = {};
  const kernelDrops: Record<string, number> = {};
  let replied = 0;
  let othersReplied = 0;
  for (const node of o.lab.nodes) {
    const d = delta(before.get(node), after.get(node));
    received[node] = d.received - Math.round((o.background[node] ?? 0) * windowMs);
    kernelDrops[node] = d.kernelDrops;
    replied += d.replied;
    othersReplied += d.othersReplied;
  }
  return { rate: o.rate, result, received, kernelDrops, replied, othersReplied, load };
}

function delta(before: Counters | undefined, after: Counters | undefined): Counters {
  const zero: Counters = { received: 0, replied: 0, kernelDrops: 0, othersReplied: 0 };
  const b = before ?? zero;
  const a = after ?? zero;
  return {
    received: a.received - b.received,
    replied: a.replied - b.replied,
    kernelDrops: a.kernelDrops - b.kernelDrops,
    othersReplied: a.othersReplied - b.othersReplied,
  };
}

function printRow(row: RateRow): void {
  const { result: r } = row;
  const seconds = r.elapsedMs / 1000;
  // Other runs' speakers answer too (same node MACs): only our share of the replies counts.
  const ours = r.replies - row.othersReplied;
  const loss = r.sent === 0 ? Number.NaN : (100 * (r.sent - ours)) / r.sent;
  const minReceived = Math.min(...Object.values(row.received));
  const inLoss = r.sent === 0 ? Number.NaN : (100 * (r.sent - minReceived)) / r.sent;
  const allReplied = row.replied + row.othersReplied;
  const backLoss = allReplied === 0 ? 0 : (100 * (allReplied - r.replies)) / allReplied;
  console.log(
    `[arp] offered=${row.rate}/s sent=${r.sent} (${(r.sent / seconds).toFixed(0)}/s, skipped=${r.skipped}, sendFailed=${r.sendFailed})` +
      ` replies=${ours} (${(ours / seconds).toFixed(0)}/s) loss=${loss.toFixed(2)}%` +
      ` | speakers received=${JSON.stringify(row.received)} (worst in-loss ${inLoss.toFixed(2)}%)` +
      ` kernelDrops=${JSON.stringify(row.kernelDrops)} replied=${row.replied}` +
      ` othersReplied=${row.othersReplied} (return-path loss ${backLoss.toFixed(2)}%)` +
      ` byMac=${JSON.stringify(r.repliesByMac)} load=${row.load}`,
  );
}

async function measure(o: {
  lab: BenchLab;
  rates: number[];
  durationMs: number;
  snapshotDir: string | undefined;
  settleMs: number;
}): Promise<void> {
  const { lab } = o;
  console.log(await rssLine(lab, 'idle, 0 IPs'));
  await snapshot(lab, o.snapshotDir, 'idle, 0 IPs');
  const names = await createServices({ namespace: lab.ns.name, count: TOTAL });
  await setStatuses({ namespace: lab.ns.name, names, ips: [...V4, ...V6] });
  await waitFor(async () => (await announcedTotal(lab.nodes)) >= TOTAL, {
    what: `${TOTAL} IPs announced`,
    timeoutMs: 120_000,
    intervalMs: 1000,
  });
  await kubeProxiesSettled(lab.nodes);
  await sleep(5000);
  console.log(await rssLine(lab, `${TOTAL} IPs announced`));
  if (o.settleMs > 0) {
    // V8's memory reducer shrinks the heap only once allocation has calmed down (seconds after the burst).
    await sleep(o.settleMs);
    console.log(await rssLine(lab, `${TOTAL} IPs announced, ${String(o.settleMs / 1000)} s later`));
  }
  await snapshot(lab, o.snapshotDir, `${TOTAL} IPs announced`);
  console.log(await bufferLine(lab));
  const agent = new ClientAgent();
  try {
    await agent.start();
    const background = await baseline({ lab, durationMs: o.durationMs });
    console.log(
      `[arp] background ARP requests per s: ${JSON.stringify(background, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v * 1000) : v))}`,
    );
    for (const rate of o.rates) {
      printRow(await runRate({ lab, agent, rate, durationMs: o.durationMs, background }));
      await sleep(2000);
    }
  } finally {
    agent.stop();
  }
  console.log(await rssLine(lab, 'after the load'));
}

/**
 * Moves each speaker into its own cgroup `<parent>/<node>` (created, limited to `limitMiB`), so each is charged
 * alone, as one pod. Done from here right after the start: inside `ip netns exec` /sys is the namespace's own sysfs,
 * without the cgroup mounts. What the start charged stays outside (Linux 6.x refuses move_charge_at_immigrate), so
 * the limit binds on growth only; VmRSS is read from /proc either way, and the flags, not the cgroup, size V8.
 */
function moveIntoCgroups(lab: BenchLab, parent: string | undefined, limitMiB: number): void {
  if (parent === undefined) return;
  for (const [node, p] of lab.speakers) {
    const dir = join(parent, node);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'memory.limit_in_bytes'), String(limitMiB * 1048576));
    writeFileSync(join(dir, 'cgroup.procs'), String(p.pid));
    console.log(`[arp] ${node} speaker (pid ${String(p.pid)}) in ${dir}, limit ${String(limitMiB)} MiB`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rates: { type: 'string', default: '1000,5000,10000,20000' },
      'duration-ms': { type: 'string', default: '5000' },
      'cpu-prof': { type: 'string' },
      'allow-other-speakers': { type: 'boolean', default: false },
      'net-raw-only': { type: 'boolean', default: false },
      'packet-receive-buffer': { type: 'string' },
      'node-flags': { type: 'string', default: '' },
      'cgroup-parent': { type: 'string' },
      'cgroup-limit-mib': { type: 'string', default: '256' },
      'heap-snapshot-dir': { type: 'string' },
      'idle-ms': { type: 'string', default: '0' },
      'settle-ms': { type: 'string', default: '0' },
    },
  });
  const others = runningSpeakers();
  if (others.length > 0) console.warn(`[arp] other speakers running: pids ${others.join(', ')}`);
  if (others.length > 0 && !values['allow-other-speakers']) {
    console.error(
      `speakers already running (pids ${others.join(', ')}): they would answer too; not starting`,
    );
    process.exitCode = 1;
    return;
  }
  const prof = values['cpu-prof'];
  const buffer = values['packet-receive-buffer'];
  const snapshotDir = values['heap-snapshot-dir'];
  if (snapshotDir !== undefined) mkdirSync(snapshotDir, { recursive: true });
  // Registered, other runs' teardown leaves the lab up while the bench uses it.
  registerLabUser(labConfig());
  const lab = await benchLab({
    name: 'bench-spk-arp',
    addresses: ['203.0.113.128/25', `${V6_PREFIX}0/118`],
    nodeArgs: [
      ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []),
      ...values['node-flags'].split(' ').filter(Boolean),
      ...(snapshotDir === undefined
        ? []
        : ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshotDir}`]),
    ],
    speakerArgs: buffer === undefined ? [] : ['--packet-receive-buffer', buffer],
    wrap: values['net-raw-only'] ? NET_RAW_ONLY : [],
  });
  const onSignal = (): void => {
    void lab.cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    moveIntoCgroups(lab, values['cgroup-parent'], Number(values['cgroup-limit-mib']));
    console.log(`[arp] start: load ${loadavg()}`);
    // Speakers just started are still warming up (lazy compilation, first relists): --idle-ms lets them settle.
    await sleep(Number(values['idle-ms']));
    await measure({
      lab,
      rates: values.rates.split(',').map(Number),
      durationMs: Number(values['duration-ms']),
      snapshotDir,
      settleMs: Number(values['settle-ms']),
    });
  } finally {
    await lab.cleanup();
    releaseLabUser(labConfig());
  }
}

await main();
