import fc from 'fast-check';
import { type IPAddress, type IPPoolConfig, formatIP, sameIP } from '@ironlb/shared';
import { describe, expect, it } from 'vitest';
import { Allocator } from './allocator.js';
import { poolMayServe } from './eligibility.js';
import { sharingConflict } from './sharing.js';
import { ip, pool, req } from './testing/builders.js';
import type { AllocationRequest, IPFamilyPolicy } from './types.js';

/** Each pool name has a few variants; an edit swaps the variant or deletes the pool. */
const VARIANTS: Record<string, IPPoolConfig[]> = {
  main: [
    pool('main', { addresses: ['10.0.0.0/29'], serviceAllocation: { priority: 0 } }),
    pool('main', { addresses: ['10.0.0.0/30'] }),
    pool('main', { addresses: ['10.0.0.4/30', 'fd00::/126'], autoAssign: false }),
  ],
  team: [
    pool('team', { addresses: ['10.0.0.8-10.0.0.12'], serviceAllocation: { namespaces: ['a'] } }),
    pool('team', { addresses: ['10.0.0.254-10.0.1.1'], avoidBuggyIPs: true }),
  ],
  v6: [pool('v6', { addresses: ['fd00::/126'] }), pool('v6', { addresses: ['fd00::2/127', '10.0.0.6/31'] })],
};
const NAMES = Object.keys(VARIANTS);
const WANTED = ['10.0.0.1', '10.0.0.9', '10.0.1.0', 'fd00::2'].map(ip);
const POLICIES: IPFamilyPolicy[] = ['SingleStack', 'PreferDualStack', 'RequireDualStack'];

const serviceArb = fc.record({
  ns: fc.constantFrom('a', 'b'),
  key: fc.constantFrom('', 'k1', 'k1', 'k2'),
  port: fc.constantFrom(80, 443, 53),
  local: fc.constantFrom(false, false, true),
  v6first: fc.boolean(),
  policy: fc.constantFrom(...POLICIES),
  wanted: fc.option(fc.constantFrom(...WANTED), { nil: undefined }),
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

/** Coverage counters: the property is only meaningful if these situations actually occur. */
const seen = { shared: 0, invalidated: 0, failed: 0, dual: 0, restarts: 0 };

function toRequest(slot: number, s: Svc): AllocationRequest {
  return req(`${s.ns}/s${slot}`, {
    sharingKey: s.key,
    ports: [{ protocol: 'TCP', port: s.port }],
    externalTrafficPolicy: s.local ? 'Local' : 'Cluster',
    selector: { app: s.key === '' ? `s${slot}` : s.key },
    families: s.v6first ? ['IPv6', 'IPv4'] : ['IPv4', 'IPv6'],
    familyPolicy: s.wanted !== undefined ? 'SingleStack' : s.policy,
    requestedIPs: s.wanted === undefined ? [] : [s.wanted],
  });
}

class Model {
  alloc = new Allocator();
  pools = new Map<string, IPPoolConfig>(NAMES.map((n) => [n, VARIANTS[n]![0]!]));
  services = new Map<string, AllocationRequest>();
  held = new Map<string, readonly IPAddress[]>();

  constructor() {
    this.alloc.setPools([...this.pools.values()]);
  }

  allocate(key: string): void {
    const request = this.services.get(key)!;
    const r = this.alloc.allocate(key, request);
    if (!r.ok) {
      seen.failed++;
      expect(r.error.reason).not.toBe('Unexplained');
    } else if (r.value.ips.length === 2) seen.dual++;
  }

  mayServe(address: IPAddress, request: AllocationRequest): boolean {
    return [...this.pools.values()].some(
      (p) =>
        p.ranges.some(
          (r) => r.family === address.family && r.start <= address.value && address.value <= r.end,
        ) && poolMayServe(p, request),
    );
  }

  /** The two safety properties, checked after every step. */
  check(): void {
    const byIP = new Map<string, string[]>();
    for (const [key, request] of this.services) {
      const now = this.alloc.assignmentOf(key)?.ips ?? [];
      for (const old of this.held.get(key) ?? []) {
        if (!now.some((n) => sameIP(n, old)))
          expect(this.mayServe(old, request), `${key} renumbered from ${formatIP(old)}`).toBe(false);
      }
      for (const a of now) {
        expect(this.mayServe(a, request)).toBe(true);
        const list = byIP.get(formatIP(a)) ?? [];
        if (list.length > 0) seen.shared++;
        for (const other of list) expect(sharingConflict(request, this.services.get(other)!)).toBeNull();
        byIP.set(formatIP(a), [...list, key]);
      }
      this.held.set(key, now);
    }
  }

  restart(): void {
    seen.restarts++;
    const before = this.alloc.assignments();
    this.alloc = new Allocator();
    this.alloc.setPools([...this.pools.values()]);
    for (const [key, a] of before)
      expect(this.alloc.assign(key, a.ips, this.services.get(key)!).ok).toBe(true);
    expect(this.alloc.assignments()).toEqual(before);
  }
}

function step(m: Model, o: Op): void {
  const keyOf = (slot: number): string | undefined =>
    [...m.services.keys()].find((k) => k.endsWith(`/s${slot}`));
  if (o.op === 'create') {
    const old = keyOf(o.slot);
    if (old !== undefined) return;
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
    m.services.delete(key);
    m.held.delete(key);
  } else if (o.op === 'edit') {
    const variant = VARIANTS[o.name]![o.variant];
    if (variant === undefined) m.pools.delete(o.name);
    else m.pools.set(o.name, variant);
    const { invalidated } = m.alloc.setPools([...m.pools.values()]);
    seen.invalidated += invalidated.length;
    for (const inv of invalidated) m.allocate(inv.serviceKey);
  } else {
    m.restart();
  }
}

describe('Allocator properties', () => {
  it('never double-books an IP incompatibly and never renumbers a Service needlessly', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 5, maxLength: 60, size: 'max' }), (ops) => {
        const m = new Model();
        for (const o of ops) {
          step(m, o);
          m.check();
        }
        m.restart();
        m.check();
      }),
      { numRuns: 300 },
    );
    expect(seen.shared).toBeGreaterThan(0);
    expect(seen.invalidated).toBeGreaterThan(0);
    expect(seen.failed).toBeGreaterThan(0);
    expect(seen.dual).toBeGreaterThan(0);
    expect(seen.restarts).toBeGreaterThan(0);
  });
});
