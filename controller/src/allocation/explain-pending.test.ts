import { describe, expect, it } from 'vitest';
import { Allocator } from './allocator.js';
import { ip, pool, req } from './testing/builders.js';
import type { AllocationRequest } from './types.js';
import { explainPending } from './explain-pending.js';

function explain(a: Allocator, request: AllocationRequest): string | null {
  const r = explainPending({
    service: { kind: 'request', request, warnings: [] },
    serviceKey: 'ns/s',
    view: a,
  });
  return r === null ? null : `${r.reason}: ${r.message}`;
}

describe('explainPending', () => {
  it('answers not-ours without an event and invalid annotations with one', () => {
    const a = new Allocator();
    const ignored = explainPending({
      service: { kind: 'ignored', reason: 'ClassNotOurs', message: 'loadBalancerClass is x' },
      serviceKey: 'ns/s',
      view: a,
    });
    expect(ignored).toEqual({ kind: 'ignore', reason: 'ClassNotOurs', message: 'loadBalancerClass is x' });
    const invalid = explainPending({
      service: { kind: 'invalid', problems: ['p1', 'p2'], warnings: [] },
      serviceKey: 'ns/s',
      view: a,
    });
    expect(invalid).toEqual({ kind: 'event', reason: 'InvalidAnnotation', message: 'p1; p2' });
  });

  it('returns the first reason in order', () => {
    const a = new Allocator();
    expect(explain(a, req('ns/s'))).toBe('NoPools: no IPPool exists');
    a.setPools([
      pool('v4', { addresses: ['10.0.0.0/31'], serviceAllocation: { namespaces: ['prod'] } }),
      pool('manual', { addresses: ['10.0.1.0/31'], autoAssign: false }),
    ]);
    expect(explain(a, req('ns/s', { pool: 'nope' }))).toBe(
      'PoolNotFound: requested IPPool nope does not exist',
    );
    expect(explain(a, req('ns/s', { pool: 'v4' }))).toBe(
      'PoolNotServing: requested IPPool v4 does not serve namespace ns (Service ns/s) or its labels',
    );
    expect(explain(a, req('ns/s', { families: ['IPv6'] }))).toBe(
      'NoPoolForFamily: no IPPool has IPv6 addresses',
    );
    expect(explain(a, req('ns/s', { requestedIPs: [ip('10.0.0.1')] }))).toBe(
      'IPPoolNotServing: requested IP 10.0.0.1 is in IPPool v4, which does not serve namespace ns (Service ns/s)',
    );
    expect(explain(a, req('ns/s'))).toBe(
      'NoPoolServes: no IPv4 IPPool serves namespace ns (Service ns/s) with its labels; pools: manual (autoAssign false), v4 (namespaces prod)',
    );
    expect(explain(a, req('ns/s', { pool: 'manual' }))).toBeNull();
    expect(explain(a, req('prod/s'))).toBeNull();
  });

  it('names a pool that would serve but is not ready', () => {
    const a = new Allocator();
    a.setPools([
      pool(
        'old',
        { addresses: ['10.0.0.0/24'], serviceAllocation: { namespaces: ['x'] } },
        '2026-01-01T00:00:00Z',
      ),
      pool('new', { addresses: ['10.0.0.128/25'] }, '2026-01-02T00:00:00Z'),
    ]);
    expect(explain(a, req('ns/s'))).toBe(
      'PoolNotReady: IPPool new would serve this Service but is not ready: addresses overlap with older pool old (10.0.0.128-10.0.0.255)',
    );
  });

  it('explains a dual-stack Service whose two families fail different checks', () => {
    // IPv4: no pool serves namespace ns; IPv6: the pool that would serve it is not ready. Each check alone
    // sees one family pass, yet no family passes both (found by the reference-model property test).
    const a = new Allocator();
    a.setPools([
      pool('a-old', { addresses: ['2001:db8::/126'], autoAssign: false }),
      pool('b-v4', { addresses: ['10.0.0.0/30'], serviceAllocation: { namespaces: ['x'] } }),
      pool('c-v6', { addresses: ['2001:db8::/127'] }),
    ]);
    const request = req('ns/s', { families: ['IPv4', 'IPv6'], familyPolicy: 'PreferDualStack' });
    expect(a.allocate('ns/s', request).ok).toBe(false);
    expect(explain(a, request)).toBe(
      'NoPoolServes: no IPv4 IPPool serves namespace ns (Service ns/s) with its labels; pools: b-v4 (namespaces x)',
    );
  });
});
