import fc from 'fast-check';
import { type IPPoolConfig, formatIP } from '@ironlb/shared';
import { describe, expect, it } from 'vitest';
import { Allocator } from './allocator.js';
import { ip, pool, req } from './testing/builders.js';
import { type PoolSpec, ReferenceAllocator } from './testing/reference-allocator.js';
import type { AllocationRequest, IPFamilyPolicy } from './types.js';

/**
 * The allocator against an independent model: a brute-force reference allocator (testing/reference-allocator.ts)
 * that shares no code with it. After every step of a random history (create, delete, re-allocate, pool edits,
 * restarts) both must agree exactly: the same IPs for every Service, the same successes and failures, the same
 * addresses taken away by a pool edit. The safety properties (IPs shared only compatibly, no needless
 * renumbering, every IP in a pool that may serve it) hold in the model by construction.
 */

/** Each pool name has a few variants; an edit swaps the variant or deletes the pool. */
const VARIANTS: Record<string, PoolSpec[]> = {
  main: [
    { name: 'main', addresses: ['10.0.0.0/29'], priority: 0 },
    { name: 'main', addresses: ['10.0.0.0/30'] },
    { name: 'main', addresses: ['10.0.0.4/30', 'fd00::/126'], autoAssign: false },
  ],
  team: [
    { name: 'team', addresses: ['10.0.0.8-10.0.0.12'], namespaces: ['a'] },
    { name: 'team', addresses: ['10.0.0.254-10.0.1.1'], avoidBuggyIPs: true },
  ],
  v6: [
    { name: 'v6', addresses: ['fd00::/126'] },
    { name: 'v6', addresses: ['fd00::2/127', '10.0.0.6/31'], priority: 1 },
  ],
};
const NAMES = Object.keys(VARIANTS);
const WANTED = ['10.0.0.1', '10.0.0.9', '10.0.1.0', 'fd00::2'].map(ip);
const POLICIES: IPFamilyPolicy[] = ['SingleStack', 'PreferDualStack', 'RequireDualStack'];

function toConfig(spec: PoolSpec): IPPoolConfig {
  const { name, addresses, priority, namespaces, autoAssign, avoidBuggyIPs } = spec;
  const serviceAllocation = {
    ...(priority === undefined ? {} : { priority }),
    ...(namespaces === undefined ? {} : { namespaces }),
  };
  return pool(name, { addresses, autoAssign, avoidBuggyIPs, serviceAllocation });
}

const serviceArb = fc.record({
  ns: fc.constantFrom('a', 'b'),
  key: fc.constantFrom('', 'k1', 'k1', 'k2'),
  port: fc.constantFrom(80, 443, 53),
  local: fc.constantFrom(false, false, true),
  v6first: fc.boolean(),
  policy: fc.constantFrom(...POLICIES),
  wanted: fc.option(fc.constantFrom(...WANTED), { nil: undefined }),
  pool: fc.option(fc.constantFrom(...NAMES), { nil: undefined, freq: 4 }),
});

const opArb = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant('create' as const), slot: fc.nat(5), svc: serviceArb }),
  },
  fc.record({ op: fc.constant('delete' as const), slot: fc.nat(5) }),
  fc.record({ op: fc.constant('realloc' as const), slot: fc.nat(5) }),
  fc.record({ op: fc.constant('edit' as const), name: fc.constantFrom(...NAMES), variant: fc.nat(3) }),
  fc.record({ op: fc.constant('restart' as const) }),
);

type Svc = typeof serviceArb extends fc.Arbitrary<infer T> ? T : never;
type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

/** Coverage counters: the comparison is only meaningful if these situations actually occur. */
const seen = { shared: 0, invalidated: 0, failed: 0, dual: 0, restarts: 0, explicitPool: 0, avoided: 0 };

function toRequest(slot: number, s: Svc): AllocationRequest {
  return req(`${s.ns}/s${slot}`, {
    sharingKey: s.key,
    ports: [{ protocol: 'TCP', port: s.port }],
    externalTrafficPolicy: s.local ? 'Local' : 'Cluster',
    selector: { app: s.key === '' ? `s${slot}` : s.key },
    families: s.v6first ? ['IPv6', 'IPv4'] : ['IPv4', 'IPv6'],
    familyPolicy: s.wanted !== undefined ? 'SingleStack' : s.policy,
    requestedIPs: s.wanted === undefined ? [] : [s.wanted],
    pool: s.pool,
  });
}

class Run {
  alloc = new Allocator();
  readonly model = new ReferenceAllocator();
  readonly pools = new Map<string, PoolSpec>(NAMES.map((n) => [n, VARIANTS[n]![0]!]));
  /** Every Service that exists, allocated or pending. */
  readonly services = new Map<string, AllocationRequest>();

  constructor() {
    this.setPools();
  }

  allocate(key: string): void {
    const request = this.services.get(key)!;
    const r = this.alloc.allocate(key, request);
    expect(r.ok, `${key}: allocator and model disagree on success`).toBe(this.model.allocate(key, request));
    if (!r.ok) {
      seen.failed++;
      expect(r.error.reason).not.toBe('Unexplained');
      if (r.error.reason === 'IPAvoided') seen.avoided++;
    } else if (r.value.ips.length === 2) seen.dual++;
    if (r.ok && request.pool !== undefined) seen.explicitPool++;
  }

  setPools(): void {
    const specs = [...this.pools.values()];
    const { invalidated } = this.alloc.setPools(specs.map(toConfig));
    const lost = this.model.setPools(specs);
    expect(new Map(invalidated.map((i) => [i.serviceKey, i.released.map(formatIP)]))).toEqual(lost);
    seen.invalidated += invalidated.length;
    for (const inv of invalidated) this.allocate(inv.serviceKey);
  }

  /** Both agree on every Service's addresses. */
  compare(): void {
    const actual = new Map([...this.alloc.assignments()].map(([k, a]) => [k, a.ips.map(formatIP)]));
    const expected = new Map([...this.model.held].map(([k, ips]) => [k, ips.map(formatIP)]));
    expect(actual).toEqual(expected);
    const texts = [...expected.values()].flat();
    if (new Set(texts).size < texts.length) seen.shared++;
  }

  /** A new allocator reclaims every assignment from "Service status" and ends up identical. */
  restart(): void {
    seen.restarts++;
    const before = this.alloc.assignments();
    this.alloc = new Allocator();
    this.alloc.setPools([...this.pools.values()].map(toConfig));
    for (const [key, a] of before)
      expect(this.alloc.assign(key, a.ips, this.services.get(key)!).ok).toBe(true);
    expect(this.alloc.assignments()).toEqual(before);
  }
}

function step(m: Run, o: Op): void {
  const keyOf = (slot: number): string | undefined =>
    [...m.services.keys()].find((k) => k.endsWith(`/s${slot}`));
  if (o.op === 'create') {
    if (keyOf(o.slot) !== undefined) return;
    const request = toRequest(o.slot, o.svc);
    const key = `${request.namespace}/${request.name}`;
    m.services.set(key, request);
    m.allocate(key);
  } else if (o.op === 'delete' || o.op === 'realloc') {
    const key = keyOf(o.slot);
    if (key === undefined) return;
    if (o.op === 'realloc') {
      m.allocate(key);
      return;
    }
    m.alloc.unassign(key);
    m.model.release(key);
    m.services.delete(key);
  } else if (o.op === 'edit') {
    const variant = VARIANTS[o.name]![o.variant];
    if (variant === undefined) m.pools.delete(o.name);
    else m.pools.set(o.name, variant);
    m.setPools();
  } else {
    m.restart();
  }
}

describe('Allocator against a brute-force reference model', () => {
  it('makes exactly the choices of the model over random histories', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 5, maxLength: 60, size: 'max' }), (ops) => {
        const m = new Run();
        for (const o of ops) {
          step(m, o);
          m.compare();
        }
        m.restart();
        m.compare();
      }),
      { numRuns: 300 },
    );
    for (const [what, count] of Object.entries(seen)) expect(count, what).toBeGreaterThan(0);
  }, 60_000);
});
