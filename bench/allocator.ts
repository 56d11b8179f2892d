/**
 * Allocator benchmark: N allocations from an IPv4 /16 and an IPv6 /64, for N = 10k and 100k.
 * A /16 holds 65,536 addresses, so the IPv4 100k runs use pairs of Services sharing one IP
 * (same sharing key, ports 80 and 443); "unique" runs give every Service its own address.
 * Run: pnpm --filter @ironlb/bench bench:allocator
 */
import { parseIPPool } from '@ironlb/shared';
import { Allocator } from '../controller/src/allocation/allocator.js';
import type { AllocationRequest } from '../controller/src/allocation/types.js';

type Mode = 'unique' | 'pairs';

interface Case {
  readonly label: string;
  readonly cidr: string;
  readonly family: 'IPv4' | 'IPv6';
  readonly mode: Mode;
  readonly n: number;
}

function request(i: number, opts: { family: 'IPv4' | 'IPv6'; mode: Mode }): AllocationRequest {
  const paired = opts.mode === 'pairs';
  return {
    namespace: 'bench',
    name: `svc-${i}`,
    labels: {},
    namespaceLabels: {},
    families: [opts.family],
    familyPolicy: 'SingleStack',
    requestedIPs: [],
    pool: undefined,
    sharingKey: paired ? `pair-${Math.floor(i / 2)}` : '',
    ports: [{ protocol: 'TCP', port: paired && i % 2 === 1 ? 443 : 80 }],
    externalTrafficPolicy: 'Cluster',
    selector: { app: `svc-${i}` },
  };
}

function newAllocator(cidr: string): Allocator {
  const pool = parseIPPool({ metadata: { name: 'bench' }, spec: { addresses: [cidr] } });
  if (!pool.ok) throw new Error(pool.error.join('; '));
  const a = new Allocator();
  a.setPools([pool.value]);
  return a;
}

/** Fills the pool with n Services, then churns: frees every third Service and allocates as many. */
function run(c: Case): { fillOps: number; churnOps: number; nsPerOp: number } {
  const a = newAllocator(c.cidr);
  const reqs = Array.from({ length: c.n }, (_, i) => request(i, c));
  const t0 = performance.now();
  for (let i = 0; i < c.n; i++) {
    const r = a.allocate(`bench/svc-${i}`, reqs[i]!);
    if (!r.ok) throw new Error(`allocation ${i} failed: ${r.error.message}`);
  }
  const fillMs = performance.now() - t0;
  const freed = reqs.filter((_, i) => i % 3 === 0);
  const t1 = performance.now();
  for (const r of freed) a.unassign(`bench/${r.name}`);
  for (const r of freed) {
    const res = a.allocate(`bench/${r.name}`, r);
    if (!res.ok) throw new Error(`re-allocation failed: ${res.error.message}`);
  }
  const churnMs = performance.now() - t1;
  return {
    fillOps: (c.n / fillMs) * 1000,
    churnOps: ((2 * freed.length) / churnMs) * 1000,
    nsPerOp: (fillMs * 1e6) / c.n,
  };
}

const cases: Case[] = [
  { label: 'IPv4 /16 unique', cidr: '10.20.0.0/16', family: 'IPv4', mode: 'unique', n: 10_000 },
  { label: 'IPv4 /16 unique', cidr: '10.20.0.0/16', family: 'IPv4', mode: 'unique', n: 60_000 },
  { label: 'IPv4 /16 pairs', cidr: '10.20.0.0/16', family: 'IPv4', mode: 'pairs', n: 10_000 },
  { label: 'IPv4 /16 pairs', cidr: '10.20.0.0/16', family: 'IPv4', mode: 'pairs', n: 100_000 },
  { label: 'IPv6 /64 unique', cidr: '2001:db8:100::/64', family: 'IPv6', mode: 'unique', n: 10_000 },
  { label: 'IPv6 /64 unique', cidr: '2001:db8:100::/64', family: 'IPv6', mode: 'unique', n: 100_000 },
];

run({ ...cases[0]!, n: 20_000 }); // warm-up (JIT)
const results = cases.map((c) => ({ c, r: run(c) }));
const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
console.log(`node ${process.version}`);
console.log('case                     n        allocate ops/s   churn ops/s   ns/allocate');
for (const { c, r } of results) {
  console.log(
    `${c.label.padEnd(20)} ${String(c.n).padStart(7)}   ${fmt(r.fillOps).padStart(14)}   ${fmt(r.churnOps).padStart(11)}   ${fmt(r.nsPerOp).padStart(11)}`,
  );
}
for (const label of new Set(cases.map((c) => c.label))) {
  const [small, big] = results.filter((x) => x.c.label === label);
  if (small === undefined || big === undefined) continue;
  const ratio = big.r.nsPerOp / small.r.nsPerOp;
  console.log(
    `${label}: per-allocation cost ratio ${big.c.n / 1000}k/${small.c.n / 1000}k = ${ratio.toFixed(2)}`,
  );
}
