/**
 * The ARP-rate measurement shared by the speaker benchmarks (speaker-arp.ts: speakers started by the bench;
 * pods.ts: the chart's speaker pods on real nodes): offered rates of ARP requests from the client agent
 * (arp-load-agent.ts, in the client namespace), replies counted per MAC, and each speaker's own counters and
 * ARP socket (kernel drops) read before and after, so loss on the way in is told apart from loss on the way back.
 */
import { readFileSync } from 'node:fs';
import { arpSocketStats, loadavg, sleep, speakerMetrics, type ClientAgent } from './speaker-lab.js';
import { netnsExec } from '../test/e2e/support/index.js';
import type { LoadResult } from './arp-load-agent.js';

/** One speaker under test: its node (network namespace), PID (as this process sees it) and metrics port. */
export interface ArpSpeaker {
  readonly node: string;
  readonly pid: number;
  readonly metricsPort: number;
}

export interface ArpRateSetup {
  readonly speakers: readonly ArpSpeaker[];
  /**
   * Metrics port of other speakers on the same nodes (another run's, same node MACs): their replies are
   * subtracted from ours. Unset: no other speakers are counted.
   */
  readonly othersPort?: number;
}

const RECEIVED = 'ironlb_speaker_requests_received_total{family="ipv4"}';
const REPLIED = 'ironlb_speaker_replies_sent_total{family="ipv4"}';
const RCVBUF = 'ironlb_speaker_socket_rcvbuf_bytes';

interface Counters {
  received: number;
  replied: number;
  /** Frames the kernel dropped at our speaker's ARP socket (receive buffer full). */
  kernelDrops: number;
  /** Replies sent by speakers that are not ours (see ArpRateSetup.othersPort). */
  othersReplied: number;
}

export interface RateRow {
  rate: number;
  result: LoadResult;
  received: Record<string, number>;
  kernelDrops: Record<string, number>;
  replied: number;
  othersReplied: number;
  load: string;
}

/**
 * rmem_max in each speaker's namespace, its effective capabilities, and its ARP socket buffer as it reports it
 * (every `ironlb_speaker_socket_rcvbuf_bytes` sample) and as the kernel shows it (`ss`).
 */
export async function bufferLine(setup: ArpRateSetup): Promise<string> {
  const parts: string[] = [];
  for (const s of setup.speakers) {
    const rmemMax = (await netnsExec(s.node, ['cat', '/proc/sys/net/core/rmem_max'])).stdout.trim();
    const capEff = /^CapEff:\s*(\w+)$/m.exec(readFileSync(`/proc/${s.pid}/status`, 'utf8'))?.[1];
    const metrics = await speakerMetrics(s.node, s.metricsPort);
    const rcvbuf = [...metrics]
      .filter(([name]) => name.startsWith(RCVBUF))
      .map(([name, v]) => `${name.slice(RCVBUF.length)}=${String(v)}`);
    const ss = await arpSocketStats(s.node, s.pid);
    parts.push(
      `${s.node}: rmem_max=${rmemMax} CapEff=${capEff ?? '?'} rcvbuf metric ${rcvbuf.join(',') || 'none'} ss=${String(ss.rcvbuf)}`,
    );
  }
  return `[buffer] ${parts.join('; ')}`;
}

async function counters(setup: ArpRateSetup): Promise<Map<string, Counters>> {
  const out = new Map<string, Counters>();
  for (const s of setup.speakers) {
    const m = await speakerMetrics(s.node, s.metricsPort);
    const others =
      setup.othersPort === undefined
        ? new Map<string, number>()
        : await speakerMetrics(s.node, setup.othersPort).catch(() => new Map<string, number>());
    out.set(s.node, {
      received: m.get(RECEIVED) ?? 0,
      replied: m.get(REPLIED) ?? 0,
      kernelDrops: (await arpSocketStats(s.node, s.pid)).drops,
      othersReplied: others.get(REPLIED) ?? 0,
    });
  }
  return out;
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

/**
 * ARP requests each speaker counts with no load from us (other speakers' conflict probes and gratuitous
 * ARPs), per ms: subtracted from the counts under load.
 */
export async function baseline(o: {
  setup: ArpRateSetup;
  durationMs: number;
}): Promise<Record<string, number>> {
  const before = await counters(o.setup);
  const start = performance.now();
  await sleep(o.durationMs);
  const after = await counters(o.setup);
  const ms = performance.now() - start;
  const perMs: Record<string, number> = {};
  for (const s of o.setup.speakers)
    perMs[s.node] = ((after.get(s.node)?.received ?? 0) - (before.get(s.node)?.received ?? 0)) / ms;
  return perMs;
}

export async function runRate(o: {
  setup: ArpRateSetup;
  agent: ClientAgent;
  /** IPv4 addresses the requests ask for (random among them). */
  targets: string[];
  rate: number;
  durationMs: number;
  /** Background ARP requests per ms per node (see baseline). */
  background: Record<string, number>;
}): Promise<RateRow> {
  const before = await counters(o.setup);
  const start = performance.now();
  const result = await o.agent.load({
    targets: o.targets,
    rate: o.rate,
    durationMs: o.durationMs,
    drainMs: 1000,
  });
  const load = loadavg();
  const after = await counters(o.setup);
  const windowMs = performance.now() - start;
  const received: Record<string, number> = {};
  const kernelDrops: Record<string, number> = {};
  let replied = 0;
  let othersReplied = 0;
  for (const { node } of o.setup.speakers) {
    const d = delta(before.get(node), after.get(node));
    received[node] = d.received - Math.round((o.background[node] ?? 0) * windowMs);
    kernelDrops[node] = d.kernelDrops;
    replied += d.replied;
    othersReplied += d.othersReplied;
  }
  return { rate: o.rate, result, received, kernelDrops, replied, othersReplied, load };
}

export function printRow(row: RateRow): void {
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

/** The whole ARP part: baseline, then each rate (2 s apart), printed as it goes. */
export async function arpRates(o: {
  setup: ArpRateSetup;
  agent: ClientAgent;
  targets: string[];
  rates: readonly number[];
  durationMs: number;
}): Promise<RateRow[]> {
  const background = await baseline({ setup: o.setup, durationMs: o.durationMs });
  console.log(
    `[arp] background ARP requests per s: ${JSON.stringify(background, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v * 1000) : v))}`,
  );
  const rows: RateRow[] = [];
  for (const rate of o.rates) {
    const row = await runRate({ ...o, rate, background });
    printRow(row);
    rows.push(row);
    await sleep(2000);
  }
  return rows;
}
