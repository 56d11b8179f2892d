import { netnsExec } from './netns.js';

/**
 * The value of one series on a speaker's /metrics page, read from inside its node's network namespace. `series` is
 * the metric name followed, when it has labels, by the labels exactly as the page prints them, e.g.
 * `ironlb_bgp_prefixes_advertised{family="ipv4"}`. A page that cannot be read, a series it does not show or a value
 * that is not a number fails (never NaN); inside `waitFor` that counts as "not yet" and names the reason on timeout.
 */
export async function speakerMetric(o: { node: string; port: number; series: string }): Promise<number> {
  const { stdout } = await netnsExec(o.node, ['curl', '-sf', `http://127.0.0.1:${String(o.port)}/metrics`]);
  const line = stdout.split('\n').find((l) => l.startsWith(`${o.series} `));
  const value = line === undefined ? Number.NaN : Number(line.slice(o.series.length + 1).trim());
  if (Number.isNaN(value)) throw new Error(`${o.node}: no ${o.series} on its speaker's /metrics`);
  return value;
}

/** `speakerMetric` for the speakers of one suite (each suite runs its speakers on its own metrics port). */
export function speakerMetrics(port: number): (node: string, series: string) => Promise<number> {
  return (node, series) => speakerMetric({ node, port, series });
}
