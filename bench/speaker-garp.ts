/**
 * Time from "status IP written" to the first gratuitous ARP on the LAN. Three speakers, one pool
 * (203.0.113.128/25), N Services created up front without status; then, one at a time, a Service's status
 * IP is written (t0 = when the PATCH returned; tStart = just before it was sent) and the client-namespace agent
 * timestamps the first gratuitous ARP for that IP (epoch ms with sub-ms precision, same clock).
 *
 * Run (lab up, no other speakers running): pnpm --filter @ironlb/bench bench:speaker-garp [--count 30]
 *   [--allow-other-speakers]: another run's speakers built without --load-balancer-class also announce our
 *   IPs with the same node MACs, so the first gratuitous ARP may be theirs (the figure is then a minimum).
 */
import { parseArgs } from 'node:util';
import { percentile, setIngress, waitFor } from '../test/e2e/support/index.js';
import {
  ClientAgent,
  benchLab,
  createServices,
  loadavg,
  runningSpeakers,
  sleep,
  type BenchLab,
} from './speaker-lab.js';

const now = (): number => performance.timeOrigin + performance.now();

interface Sample {
  ip: string;
  fromStart: number;
  fromDone: number;
}

async function measure(o: { lab: BenchLab; count: number; gapMs: number }): Promise<Sample[]> {
  const names = await createServices({ namespace: o.lab.ns.name, count: o.count });
  const agent = new ClientAgent();
  const samples: Sample[] = [];
  const missed: string[] = [];
  try {
    await agent.start();
    for (const [i, name] of names.entries()) {
      const ip = `203.0.113.${128 + i}`;
      await agent.watch([ip]);
      const tStart = now();
      await setIngress({ namespace: o.lab.ns.name, name, ips: [ip] });
      const tDone = now();
      const garp = await waitFor(() => agent.garps.find((g) => g.ip === ip), {
        what: `gratuitous ARP for ${ip}`,
        timeoutMs: 10_000,
        intervalMs: 5,
      }).catch(() => null);
      // A missing GARP (e.g. the IP was withdrawn before its first frame) is reported, not hidden.
      if (garp === null) missed.push(ip);
      else samples.push({ ip, fromStart: garp.t - tStart, fromDone: garp.t - tDone });
      await sleep(o.gapMs);
    }
  } finally {
    agent.stop();
  }
  if (missed.length > 0) console.log(`[garp] no gratuitous ARP within 10 s for: ${missed.join(', ')}`);
  return samples;
}

function summary(label: string, values: number[]): string {
  const f = (v: number): string => v.toFixed(1);
  return `${label}: p50=${f(percentile(values, 50))} ms p99=${f(percentile(values, 99))} ms min=${f(Math.min(...values))} max=${f(Math.max(...values))}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '30' },
      'gap-ms': { type: 'string', default: '300' },
      'allow-other-speakers': { type: 'boolean', default: false },
    },
  });
  const others = runningSpeakers();
  if (others.length > 0) console.warn(`[garp] other speakers running: pids ${others.join(', ')}`);
  if (others.length > 0 && !values['allow-other-speakers']) {
    console.error(
      `speakers already running (pids ${others.join(', ')}): they would answer too; not starting`,
    );
    process.exitCode = 1;
    return;
  }
  const lab = await benchLab({ name: 'bench-spk-garp', addresses: ['203.0.113.128/25'] });
  const onSignal = (): void => {
    void lab.cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const loadBefore = loadavg();
    const samples = await measure({
      lab,
      count: Math.min(Number(values.count), 128),
      gapMs: Number(values['gap-ms']),
    });
    const n = samples.length;
    console.log(`[garp] n=${n} load before=${loadBefore} after=${loadavg()}`);
    console.log(
      `[garp] ${summary(
        'from PATCH returned',
        samples.map((s) => s.fromDone),
      )}`,
    );
    console.log(
      `[garp] ${summary(
        'from PATCH sent',
        samples.map((s) => s.fromStart),
      )}`,
    );
    console.log(`[garp] all (from PATCH returned): ${samples.map((s) => s.fromDone.toFixed(1)).join(',')}`);
  } finally {
    await lab.cleanup();
  }
}

await main();
