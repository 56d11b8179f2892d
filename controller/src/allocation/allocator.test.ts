import { formatIP } from '@ironlb/shared';
import { describe, expect, it } from 'vitest';
import { Allocator } from './allocator.js';
import { ip, pool, req, texts } from './testing/builders.js';

function allocator(...pools: Parameters<Allocator['setPools']>[0]): Allocator {
  const a = new Allocator();
  a.setPools(pools);
  return a;
}

const small = pool('small', { addresses: ['198.51.100.0/30'] });

describe('Allocator: allocate', () => {
  it('hands out the lowest free address in address order, deterministically', () => {
    const a = allocator(small);
    expect(texts(a.allocate('ns/a', req('ns/a')).ok ? a.assignmentOf('ns/a') : undefined)).toEqual([
      '198.51.100.0',
    ]);
    a.allocate('ns/b', req('ns/b'));
    a.allocate('ns/c', req('ns/c'));
    a.unassign('ns/b');
    a.allocate('ns/d', req('ns/d'));
    expect(texts(a.assignmentOf('ns/d'))).toEqual(['198.51.100.1']);
    expect(a.poolStats('small')?.ipv4).toEqual({ capacity: 4n, assigned: 3n, available: 1n });
  });

  it('is idempotent: allocating again keeps the address', () => {
    const a = allocator(small);
    a.allocate('ns/a', req('ns/a'));
    a.allocate('ns/b', req('ns/b'));
    const again = a.allocate('ns/a', req('ns/a'));
    expect(again.ok && again.value.ips.map(formatIP)).toEqual(['198.51.100.0']);
    expect(a.poolStats('small')?.ipv4.assigned).toBe(2n);
  });

  it('reports an exhausted pool with counts', () => {
    const a = allocator(small);
    for (const n of ['a', 'b', 'c', 'd']) expect(a.allocate(`ns/${n}`, req(`ns/${n}`)).ok).toBe(true);
    const r = a.allocate('ns/e', req('ns/e'));
    expect(r).toEqual({
      ok: false,
      error: {
        kind: 'event',
        reason: 'PoolsExhausted',
        message: 'IPPool small exhausted (4 of 4 IPv4 addresses assigned)',
      },
    });
  });

  it('skips .0 and .255 with avoidBuggyIPs', () => {
    const p = pool('p', { addresses: ['198.51.100.255-198.51.101.1'], avoidBuggyIPs: true });
    const a = allocator(p);
    expect(a.allocate('ns/a', req('ns/a')).ok).toBe(true);
    expect(texts(a.assignmentOf('ns/a'))).toEqual(['198.51.101.1']);
    expect(a.allocate('ns/b', req('ns/b')).ok).toBe(false);
    const asked = a.allocate('ns/c', req('ns/c', { requestedIPs: [ip('198.51.101.0')] }));
    expect(!asked.ok && asked.error.reason).toBe('IPAvoided');
  });

  it('chooses pools by priority, then name; autoAssign false only on request', () => {
    const a = allocator(
      pool('b-pool', { addresses: ['10.0.2.0/31'], serviceAllocation: { priority: 1 } }),
      pool('a-pool', { addresses: ['10.0.1.0/31'], serviceAllocation: { priority: 1 } }),
      pool('first', { addresses: ['10.0.0.0/31'], serviceAllocation: { priority: 0 } }),
      pool('manual', { addresses: ['10.0.9.0/24'], autoAssign: false }),
      pool('nopriority', { addresses: ['10.0.8.0/31'] }),
    );
    const got = ['s1', 's2', 's3', 's4', 's5', 's6', 's7'].map((s) => {
      const r = a.allocate(`ns/${s}`, req(`ns/${s}`));
      return r.ok ? formatIP(r.value.ips[0]!) : r.error.reason;
    });
    expect(got).toEqual(['10.0.0.0', '10.0.0.1', '10.0.1.0', '10.0.1.1', '10.0.2.0', '10.0.2.1', '10.0.8.0']);
    const byPool = a.allocate('ns/m', req('ns/m', { pool: 'manual' }));
    expect(byPool.ok && formatIP(byPool.value.ips[0]!)).toBe('10.0.9.0');
    const byIP = a.allocate('ns/n', req('ns/n', { requestedIPs: [ip('10.0.9.77')] }));
    expect(byIP.ok && formatIP(byIP.value.ips[0]!)).toBe('10.0.9.77');
  });

  it('honours namespaces, namespaceSelector (OR) and serviceSelector (AND)', () => {
    const a = allocator(
      pool('team', {
        addresses: ['10.1.0.0/24'],
        serviceAllocation: {
          namespaces: ['team-a'],
          namespaceSelector: { matchLabels: { tier: 'gold' } },
          serviceSelector: { matchExpressions: [{ key: 'expose', operator: 'Exists' }] },
        },
      }),
    );
    const exposed = { labels: { expose: 'yes' } };
    expect(a.allocate('team-a/x', req('team-a/x', exposed)).ok).toBe(true);
    expect(a.allocate('gold/x', req('gold/x', { ...exposed, namespaceLabels: { tier: 'gold' } })).ok).toBe(
      true,
    );
    const other = a.allocate('other/x', req('other/x', exposed));
    expect(!other.ok && other.error.reason).toBe('NoPoolServes');
    expect(!other.ok && other.error.message).toContain('namespace other');
    const unlabeled = a.allocate('team-a/y', req('team-a/y'));
    expect(!unlabeled.ok && unlabeled.error.reason).toBe('NoPoolServes');
  });
});

describe('Allocator: requested IPs and sharing', () => {
  const p = pool('p', { addresses: ['198.51.100.0/28'] });

  it('gives a requested IP and refuses it to an incompatible second Service', () => {
    const a = allocator(p);
    expect(a.allocate('ns/a', req('ns/a', { requestedIPs: [ip('198.51.100.9')] })).ok).toBe(true);
    const r = a.allocate('ns/b', req('ns/b', { requestedIPs: [ip('198.51.100.9')] }));
    expect(r).toEqual({
      ok: false,
      error: {
        kind: 'event',
        reason: 'IPInUse',
        message: 'requested IP 198.51.100.9 is held by ns/a: it has no sharing key',
      },
    });
    const out = a.allocate('ns/c', req('ns/c', { requestedIPs: [ip('203.0.113.1')] }));
    expect(!out.ok && out.error.message).toBe('requested IP 203.0.113.1 is not in any IPPool');
  });

  it('shares an IP between compatible Services, automatically joining the key', () => {
    const a = allocator(p);
    const web = req('ns/web', { sharingKey: 'k', ports: [{ protocol: 'TCP', port: 443 }] });
    const dns = req('ns/dns', { sharingKey: 'k', ports: [{ protocol: 'UDP', port: 53 }] });
    const clash = req('ns/clash', { sharingKey: 'k', ports: [{ protocol: 'UDP', port: 53 }] });
    a.allocate('ns/other', req('ns/other'));
    a.allocate('ns/web', web);
    a.allocate('ns/dns', dns);
    a.allocate('ns/clash', clash);
    expect(texts(a.assignmentOf('ns/web'))).toEqual(['198.51.100.1']);
    expect(texts(a.assignmentOf('ns/dns'))).toEqual(['198.51.100.1']);
    expect(texts(a.assignmentOf('ns/clash'))).toEqual(['198.51.100.2']);
    expect(a.poolStats('p')?.ipv4.assigned).toBe(3n);
    a.unassign('ns/web');
    expect(a.holdersOf(ip('198.51.100.1')).map((h) => h.serviceKey)).toEqual(['ns/dns']);
    a.unassign('ns/dns');
    expect(a.poolStats('p')?.ipv4.assigned).toBe(2n);
  });

  it('explains a port clash on a requested shared IP', () => {
    const a = allocator(p);
    a.allocate('ns/a', req('ns/a', { sharingKey: 'k', requestedIPs: [ip('198.51.100.5')] }));
    const r = a.allocate('ns/b', req('ns/b', { sharingKey: 'k', requestedIPs: [ip('198.51.100.5')] }));
    expect(!r.ok && r.error.message).toBe(
      'requested IP 198.51.100.5 is held by ns/a: port TCP/80 is already used on that IP',
    );
  });
});

describe('Allocator: dual-stack', () => {
  const v4 = pool('v4', { addresses: ['198.51.100.0/30'] });
  const v6 = pool('v6', { addresses: ['2001:db8:100::/64'] });

  it('RequireDualStack gets one address per family, IPv4 first', () => {
    const a = allocator(v4, v6);
    const r = a.allocate(
      'ns/a',
      req('ns/a', { familyPolicy: 'RequireDualStack', families: ['IPv6', 'IPv4'] }),
    );
    expect(r.ok && r.value.ips.map(formatIP)).toEqual(['198.51.100.0', '2001:db8:100::']);
  });

  it('PreferDualStack falls back to the family that exists; RequireDualStack fails', () => {
    const a = allocator(v4);
    const pref = a.allocate(
      'ns/p',
      req('ns/p', { familyPolicy: 'PreferDualStack', families: ['IPv6', 'IPv4'] }),
    );
    expect(pref.ok && pref.value.ips.map(formatIP)).toEqual(['198.51.100.0']);
    const reqd = a.allocate('ns/r', req('ns/r', { familyPolicy: 'RequireDualStack' }));
    expect(reqd).toEqual({
      ok: false,
      error: { kind: 'event', reason: 'NoPoolForFamily', message: 'no IPPool has IPv6 addresses' },
    });
    expect(a.assignmentOf('ns/r')).toBeUndefined();
    expect(a.poolStats('v4')?.ipv4.assigned).toBe(1n);
  });

  it('PreferDualStack gains the second family later without renumbering the first', () => {
    const a = allocator(v4);
    a.allocate('ns/p', req('ns/p', { familyPolicy: 'PreferDualStack' }));
    a.setPools([v4, v6]);
    const r = a.allocate('ns/p', req('ns/p', { familyPolicy: 'PreferDualStack' }));
    expect(r.ok && r.value.ips.map(formatIP)).toEqual(['198.51.100.0', '2001:db8:100::']);
  });
});

describe('Allocator: assign (restart) and pool edits', () => {
  const p = pool('p', { addresses: ['198.51.100.0/28'] });

  it('reclaims existing status idempotently, then allocates around it', () => {
    const a = allocator(p);
    expect(a.assign('ns/a', [ip('198.51.100.0')], req('ns/a')).ok).toBe(true);
    expect(a.assign('ns/a', [ip('198.51.100.0')], req('ns/a')).ok).toBe(true);
    expect(a.poolStats('p')?.ipv4.assigned).toBe(1n);
    a.allocate('ns/b', req('ns/b'));
    expect(texts(a.assignmentOf('ns/b'))).toEqual(['198.51.100.1']);
    const stolen = a.assign('ns/c', [ip('198.51.100.1')], req('ns/c'));
    expect(!stolen.ok && stolen.error.reason).toBe('IPInUse');
    const outside = a.assign('ns/d', [ip('10.9.9.9')], req('ns/d'));
    expect(!outside.ok && outside.error.reason).toBe('IPNotInPool');
  });

  it('keeps assignments whose IP stays in a serving pool; reports the others', () => {
    const a = allocator(p);
    a.assign('ns/low', [ip('198.51.100.1')], req('ns/low'));
    a.assign('ns/high', [ip('198.51.100.12')], req('ns/high'));
    const shrunk = pool('p', { addresses: ['198.51.100.0/29'] });
    const { invalidated } = a.setPools([shrunk]);
    expect(invalidated).toEqual([
      {
        serviceKey: 'ns/high',
        released: [ip('198.51.100.12')],
        why: '198.51.100.12 is no longer in any IPPool',
      },
    ]);
    expect(texts(a.assignmentOf('ns/low'))).toEqual(['198.51.100.1']);
    expect(a.assignmentOf('ns/high')).toBeUndefined();
    const again = a.allocate('ns/high', req('ns/high'));
    expect(again.ok && again.value.ips.map(formatIP)).toEqual(['198.51.100.0']);
  });

  it('invalidates when the pool stops serving the namespace, not when autoAssign turns off', () => {
    const a = allocator(p);
    a.allocate('ns/x', req('ns/x'));
    expect(
      a.setPools([pool('p', { addresses: ['198.51.100.0/28'], autoAssign: false })]).invalidated,
    ).toEqual([]);
    const scoped = pool('p', {
      addresses: ['198.51.100.0/28'],
      serviceAllocation: { namespaces: ['other'] },
    });
    const { invalidated } = a.setPools([scoped]);
    expect(invalidated[0]?.why).toBe('198.51.100.0 is only in IPPool p, which no longer serves this Service');
  });

  it('an overlapping newer pool is not ready and never takes addresses from the older one', () => {
    const older = pool('older', { addresses: ['198.51.100.0/30'] }, '2026-01-01T00:00:00Z');
    const newer = pool(
      'newer',
      { addresses: ['198.51.100.2/31'], serviceAllocation: { priority: 0 } },
      '2026-02-01T00:00:00Z',
    );
    const a = allocator(older, newer);
    expect(a.readinessOf('newer')?.reason).toBe('Overlap');
    const ips = ['a', 'b', 'c', 'd'].map((s) =>
      texts(a.allocate(`ns/${s}`, req(`ns/${s}`)).ok ? a.assignmentOf(`ns/${s}`) : undefined),
    );
    expect(ips.flat()).toEqual(['198.51.100.0', '198.51.100.1', '198.51.100.2', '198.51.100.3']);
    expect(a.poolStats('newer')?.ipv4.assigned).toBe(2n);
  });

  it('works on an IPv6 /64 without scanning', () => {
    const a = allocator(pool('v6', { addresses: ['2001:db8::/64'] }));
    const r = a.allocate('ns/a', req('ns/a', { families: ['IPv6'] }));
    expect(r.ok && r.value.ips.map(formatIP)).toEqual(['2001:db8::']);
    expect(a.poolStats('v6')?.ipv6.available).toBe((1n << 64n) - 1n);
  });
});
