import { describe, expect, it } from 'vitest';
import { invalidIPPools } from './testing/invalid-ippools.js';
import { parseIPPool, poolCapacity } from './ip-pool.js';
import { computePoolReadiness, buildPoolStatus } from './pool-conditions.js';
import type { IPPoolConfig } from './ip-pool.js';

function pool(name: string, spec: Record<string, unknown>, ts = '2026-01-01T00:00:00Z'): IPPoolConfig {
  const r = parseIPPool({ metadata: { name, creationTimestamp: ts }, spec });
  if (!r.ok) throw new Error(r.error.join('; '));
  return r.value;
}

describe('parseIPPool', () => {
  it('parses CIDRs, ranges and single addresses with defaults', () => {
    const p = pool('a', {
      addresses: ['198.51.100.0/28', '198.51.100.16-198.51.100.20', '2001:db8:100::/64', '10.0.0.1'],
    });
    expect(p.autoAssign).toBe(true);
    expect(p.avoidBuggyIPs).toBe(false);
    expect(p.priority).toBeUndefined();
    expect(p.namespaces).toEqual([]);
    expect(poolCapacity(p, 'IPv4')).toBe(16n + 5n + 1n);
    expect(poolCapacity(p, 'IPv6')).toBe(1n << 64n);
    // 198.51.100.0/28 and .16-.20 are adjacent: merged into one range.
    expect(p.ranges.filter((r) => r.family === 'IPv4')).toHaveLength(2);
  });

  it('reads serviceAllocation and avoidBuggyIPs', () => {
    const p = pool('b', {
      addresses: ['198.51.100.0/24'],
      avoidBuggyIPs: true,
      autoAssign: false,
      serviceAllocation: {
        priority: 3,
        namespaces: ['team-a'],
        serviceSelector: { matchLabels: { expose: 'public' } },
      },
    });
    expect(poolCapacity(p, 'IPv4')).toBe(254n);
    expect(p.priority).toBe(3);
    expect(p.namespaces).toEqual(['team-a']);
    expect(p.serviceSelector).toEqual({ matchLabels: { expose: 'public' }, matchExpressions: [] });
    expect(p.autoAssign).toBe(false);
  });

  // The same table is applied to the real API server by the e2e suite.
  it.each(invalidIPPools.map((c) => [c.name, c] as const))('rejects %s like the CRD does', (_n, c) => {
    const r = parseIPPool(c.manifest);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.join('\n')).toContain(c.expected);
  });

  it('has at least 15 distinct expected messages', () => {
    expect(new Set(invalidIPPools.map((c) => c.expected)).size).toBeGreaterThanOrEqual(15);
  });

  it('reports every problem with its field path', () => {
    const r = parseIPPool({
      metadata: { name: 'x' },
      spec: { addresses: ['1.2.3.4/40', '1.2.3.9-1.2.3.1'], serviceAllocation: { priority: -2 } },
    });
    expect(r).toEqual({
      ok: false,
      error: [
        'spec.addresses[0]: prefix length 40 is out of range for IPv4 (0-32)',
        "spec.addresses[1]: range '1.2.3.9-1.2.3.1' starts after it ends",
        'spec.serviceAllocation.priority: priority must be >= 0 (lower numbers win)',
      ],
    });
  });
});

describe('computePoolReadiness', () => {
  it('marks the newer of two overlapping pools, by creationTimestamp then name', () => {
    const old = pool('zeta', { addresses: ['198.51.100.0/28'] }, '2026-01-01T00:00:00Z');
    const newer = pool('alpha', { addresses: ['198.51.100.8-198.51.100.20'] }, '2026-01-02T00:00:00Z');
    const same = pool('beta', { addresses: ['198.51.100.15'] }, '2026-01-02T00:00:00Z');
    const other = pool('v6', { addresses: ['2001:db8::/64'] }, '2026-01-03T00:00:00Z');
    const r = computePoolReadiness([newer, other, same, old]);
    expect(r.get('zeta')).toMatchObject({ ready: true, reason: 'Valid' });
    expect(r.get('alpha')).toEqual({
      ready: false,
      reason: 'Overlap',
      message: 'addresses overlap with older pool zeta (198.51.100.8-198.51.100.15)',
    });
    expect(r.get('beta')?.message).toBe('addresses overlap with older pool zeta (198.51.100.15)');
    expect(r.get('v6')?.ready).toBe(true);
  });

  it('builds a status with decimal strings', () => {
    const s = buildPoolStatus({
      ipv4: { capacity: 16n, assigned: 3n },
      ipv6: { capacity: 1n << 64n, assigned: 1n },
      readiness: { ready: true, reason: 'Valid', message: 'ok' },
    });
    expect(s.available).toEqual({ ipv4: '13', ipv6: '18446744073709551615' });
    expect(s.conditions?.[0]).toMatchObject({ type: 'Ready', status: 'True', reason: 'Valid' });
  });
});
