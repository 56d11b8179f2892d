/**
 * The side-by-side table and ratios. Pure: measured numbers in, Markdown text out.
 * Invariant: a number that was not measured prints as "n/a", never as NaN or 0.
 */

/** What one controller did with one burst of N Services. */
export interface BurstResult {
  /** e.g. "ironlb" or "MetalLB v0.15.2". */
  readonly controller: string;
  readonly services: number;
  /** Services of other runs in the cluster when the burst started (MetalLB caches every Service). */
  readonly otherServices: number;
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
  /** First create to the last Service with an IP. */
  readonly allAllocatedMs: number | undefined;
  readonly rssBeforeMiB: number | undefined;
  readonly rssAfterMiB: number | undefined;
  readonly rssPeakMiB: number | undefined;
  /** VmRSS once the burst is over and the process had time to settle (GC, scavenger): the steady cost. */
  readonly rssSettledMiB: number | undefined;
  /** How long after the "after" reading the settled one was taken. */
  readonly settleMs: number;
  /** utime + stime of the controller from before the burst until after it. */
  readonly cpuSeconds: number | undefined;
}

/** ironlb / MetalLB for memory and CPU (< 1: ironlb smaller); MetalLB / ironlb for latency (> 1: ironlb faster). */
export interface Ratios {
  readonly services: number;
  readonly rssAfter: number | undefined;
  readonly rssSettled: number | undefined;
  readonly rssBefore: number | undefined;
  readonly cpu: number | undefined;
  readonly p50: number | undefined;
  readonly p99: number | undefined;
}

const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined || b === 0 ? undefined : a / b;

export function ratiosOf(ironlb: BurstResult, metallb: BurstResult): Ratios {
  if (ironlb.services !== metallb.services) {
    throw new RangeError(`ratiosOf: bursts differ (${ironlb.services} vs ${metallb.services} Services)`);
  }
  return {
    services: ironlb.services,
    rssAfter: ratio(ironlb.rssAfterMiB, metallb.rssAfterMiB),
    rssSettled: ratio(ironlb.rssSettledMiB, metallb.rssSettledMiB),
    rssBefore: ratio(ironlb.rssBeforeMiB, metallb.rssBeforeMiB),
    cpu: ratio(ironlb.cpuSeconds, metallb.cpuSeconds),
    p50: ratio(metallb.p50Ms, ironlb.p50Ms),
    p99: ratio(metallb.p99Ms, ironlb.p99Ms),
  };
}

const grouped = (x: number): string => Math.round(x).toLocaleString('en-US');

function fmt(x: number | undefined, unit: string, digits = 0): string {
  if (x === undefined) return 'n/a';
  return `${digits === 0 ? grouped(x) : x.toFixed(digits)}${unit}`;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

export function resultsTable(results: readonly BurstResult[]): string {
  const head = [
    'N Services',
    'controller',
    'create→status p50 / p99',
    'all have an IP after',
    'RSS before → after (peak)',
    'RSS settled',
    'CPU for the burst',
    'other Services in the cluster',
  ];
  const lines = [row(head), row(head.map(() => '---'))];
  for (const r of results) {
    lines.push(
      row([
        grouped(r.services),
        r.controller,
        `${fmt(r.p50Ms, ' ms')} / ${fmt(r.p99Ms, ' ms')}`,
        fmt(r.allAllocatedMs === undefined ? undefined : r.allAllocatedMs / 1000, ' s', 1),
        `${fmt(r.rssBeforeMiB, '')} → ${fmt(r.rssAfterMiB, ' MiB')} (${fmt(r.rssPeakMiB, ' MiB')})`,
        `${fmt(r.rssSettledMiB, ' MiB')} (${fmt(r.settleMs / 1000, ' s')} later)`,
        fmt(r.cpuSeconds, ' s', 1),
        grouped(r.otherServices),
      ]),
    );
  }
  return lines.join('\n');
}

export function ratiosTable(ratios: readonly Ratios[]): string {
  const head = [
    'N Services',
    'RSS after, ironlb / MetalLB',
    'RSS settled, ironlb / MetalLB',
    'RSS before, ironlb / MetalLB',
    'CPU, ironlb / MetalLB',
    'p50, MetalLB / ironlb',
    'p99, MetalLB / ironlb',
  ];
  const lines = [row(head), row(head.map(() => '---'))];
  for (const r of ratios) {
    lines.push(
      row([
        grouped(r.services),
        fmt(r.rssAfter, '×', 2),
        fmt(r.rssSettled, '×', 2),
        fmt(r.rssBefore, '×', 2),
        fmt(r.cpu, '×', 2),
        fmt(r.p50, '×', 1),
        fmt(r.p99, '×', 1),
      ]),
    );
  }
  return lines.join('\n');
}
