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
  benchLab,
  createServices,
  loadavg,
  rssMiB,
  statusMiB,
  runningSpeakers,
  setStatuses,
  sleep,
  speakerMetrics,
  DEFAULT_METRICS_PORT,
  METRICS_PORT,
  type BenchLab,
} from './speaker-lab.js';
import { arpRates, bufferLine, type ArpRateSetup } from './arp-rate.js';
import { netnsExec, waitFor } from '../test/e2e/support/index.js';
import { NET_RAW_ONLY } from '../test/e2e/support/speakers.js';
import { labConfig } from '../test/lab/config.js';
import { registerLabUser, releaseLabUser } from '../test/lab/sharing.js';

const V4_COUNT = 128;
const TOTAL = 1000;
const V6_PREFIX = '2001:db8:100::b:';
const V4 = Array.from({ length: V4_COUNT }, (_, i) => `203.0.113.${128 + i}`);
const V6 = Array.from({ length: TOTAL - V4_COUNT }, (_, i) => `${V6_PREFIX}${i.toString(16)}`);

const HEAP_USED = 'ironlb_speaker_nodejs_heap_size_used_bytes';

const HEAP_TOTAL = 'ironlb_speaker_nodejs_heap_size_total_bytes';
const EXTERNAL = 'ironlb_speaker_nodejs_external_memory_bytes';

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

/** Our speakers as the ARP-rate measurement sees them; other runs' speakers answer on the default port. */
function arpSetup(lab: BenchLab): ArpRateSetup {
  return {
    speakers: [...lab.speakers].map(([node, p]) => ({ node, pid: p.pid, metricsPort: METRICS_PORT })),
    othersPort: DEFAULT_METRICS_PORT,
  };
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
  const setup = arpSetup(lab);
  console.log(await bufferLine(setup));
  const agent = new ClientAgent();
  try {
    await agent.start();
    await arpRates({ setup, agent, targets: V4, rates: o.rates, durationMs: o.durationMs });
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
