import { describe, expect, it } from 'vitest';
import { type BurstResult, ratiosOf, ratiosTable, resultsTable } from './metallb-table.js';

const ironlb: BurstResult = {
  controller: 'ironlb',
  services: 2000,
  otherServices: 12,
  p50Ms: 300,
  p99Ms: 900,
  allAllocatedMs: 14_250,
  rssBeforeMiB: 100,
  rssAfterMiB: 170,
  rssPeakMiB: 180.4,
  rssSettledMiB: 150,
  settleMs: 30_000,
  cpuSeconds: 20,
};
const metallb: BurstResult = {
  controller: 'MetalLB v0.15.2',
  services: 2000,
  otherServices: 12,
  p50Ms: 24_000,
  p99Ms: 40_500,
  allAllocatedMs: 41_000,
  rssBeforeMiB: 50,
  rssAfterMiB: 85,
  rssPeakMiB: 90,
  rssSettledMiB: 60,
  settleMs: 30_000,
  cpuSeconds: 16,
};

describe('ratiosOf', () => {
  it('divides ironlb by MetalLB for memory and CPU and MetalLB by ironlb for latency', () => {
    const r = ratiosOf(ironlb, metallb);
    expect(r.rssAfter).toBe(2);
    expect(r.rssSettled).toBe(2.5);
    expect(r.rssBefore).toBe(2);
    expect(r.cpu).toBe(1.25);
    expect(r.p50).toBe(80);
    expect(r.p99).toBe(45);
  });

  it('has no ratio where a number is missing or the divisor is 0', () => {
    const r = ratiosOf({ ...ironlb, p50Ms: 0, rssAfterMiB: undefined }, metallb);
    expect(r.p50).toBeUndefined();
    expect(r.rssAfter).toBeUndefined();
  });

  it('refuses to compare bursts of different sizes', () => {
    expect(() => ratiosOf(ironlb, { ...metallb, services: 500 })).toThrow(RangeError);
  });
});

describe('resultsTable', () => {
  it('prints one Markdown row per burst with grouped thousands and units', () => {
    const lines = resultsTable([ironlb, metallb]).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^\| --- \|/);
    expect(lines[2]).toBe(
      '| 2,000 | ironlb | 300 ms / 900 ms | 14.3 s | 100 → 170 MiB (180 MiB) | 150 MiB (30 s later) | 20.0 s | 12 |',
    );
    expect(lines[3]).toBe(
      '| 2,000 | MetalLB v0.15.2 | 24,000 ms / 40,500 ms | 41.0 s | 50 → 85 MiB (90 MiB) | 60 MiB (30 s later) | 16.0 s | 12 |',
    );
  });

  it('prints n/a for what was not measured', () => {
    const line = resultsTable([
      { ...ironlb, p99Ms: undefined, cpuSeconds: undefined, rssSettledMiB: undefined },
    ]).split('\n')[2];
    expect(line).toContain('300 ms / n/a');
    expect(line).toContain('| n/a |');
    expect(line).toContain('| n/a (30 s later) |');
    expect(line).not.toContain('NaN');
  });
});

describe('ratiosTable', () => {
  it('prints the ratios with their direction in the header', () => {
    const lines = ratiosTable([ratiosOf(ironlb, metallb)]).split('\n');
    expect(lines[0]).toContain('RSS after, ironlb / MetalLB');
    expect(lines[0]).toContain('RSS settled, ironlb / MetalLB');
    expect(lines[0]).toContain('p50, MetalLB / ironlb');
    expect(lines[2]).toBe('| 2,000 | 2.00× | 2.50× | 2.00× | 1.25× | 80.0× | 45.0× |');
  });
});
