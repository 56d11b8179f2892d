/**
 * Failover as a LAN client sees it when the node announcing a Service IP drops off the LAN (its bridge port goes
 * down): the client opens a new HTTP connection every `intervalMs` to the IP, and the result is the time from the
 * link being down to the first answer, the node answering ARP for the IP afterwards, and what the client saw
 * meanwhile. Used by the link-down test of helm-install.test.ts and by the demo.
 *
 * The port is brought back up before returning, also on failure. Only the client and the LAN namespace send
 * anything (never the root namespace).
 */
import { labConfig } from '../lab/config.js';
import {
  flushNeighbour,
  labNode,
  labNodes,
  netnsExec,
  recoveredAfter,
  startClientProbe,
  waitFor,
  type L2Capture,
} from '../e2e/support/index.js';
import { probeReport, type ProbeReport } from './probe-report.js';

export interface LinkFailover {
  readonly victim: string;
  /** The one node answering ARP for the IP once the victim is off the LAN. */
  readonly newOwner: string;
  /** ms from the link being down (the `ip link set down` returned) to the first answered attempt; null: none. */
  readonly firstAnswerMs: number | null;
  /** How long the `ip link set down` command took (the link went down at some point within it). */
  readonly downCommandMs: number;
  /** What the client saw from the link being down until the probe stopped. */
  readonly report: ProbeReport;
}

export async function linkDownFailover(o: {
  capture: L2Capture;
  ip: string;
  victim: string;
  intervalMs?: number;
}): Promise<LinkFailover> {
  const lab = labConfig();
  const port = labNode(o.victim).bridgePort;
  // A neighbour entry learnt before a hand-over can name a node that no longer announces: ARP afresh.
  await flushNeighbour({ ip: o.ip });
  const probe = startClientProbe({
    netns: lab.client.netns,
    ip: o.ip,
    intervalMs: o.intervalMs ?? 20,
    timeoutMs: 500,
  });
  let stopped = false;
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const downFrom = Date.now();
    await netnsExec(lab.lanNetns, ['ip', 'link', 'set', port, 'down']);
    // Counting from when the command returned never credits an attempt sent while the link was still up.
    const downAt = Date.now();
    const newOwner = await waitFor(
      async () => {
        const macs = await o.capture.whoAnswers(o.ip);
        const node = labNodes().find((n) => macs.length === 1 && labNode(n).mac.toLowerCase() === macs[0]);
        return node !== o.victim && node;
      },
      { what: `a node other than ${o.victim} answering ARP for ${o.ip}`, timeoutMs: 30_000, intervalMs: 100 },
    );
    await new Promise((r) => setTimeout(r, 1500));
    const samples = await probe.stop();
    stopped = true;
    const end = Math.max(Date.now(), ...samples.map((s) => s.t + 1));
    return {
      victim: o.victim,
      newOwner,
      firstAnswerMs: recoveredAfter({ samples, since: downAt, accept: () => true }),
      downCommandMs: downAt - downFrom,
      report: probeReport(samples, { from: downAt, to: end }),
    };
  } finally {
    if (!stopped) await probe.stop();
    await netnsExec(lab.lanNetns, ['ip', 'link', 'set', port, 'up']);
  }
}
