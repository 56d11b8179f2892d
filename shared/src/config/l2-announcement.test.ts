import { describe, expect, it } from 'vitest';
import { announcementCoversNode, announcementCoversPool, parseL2Announcement } from './l2-announcement.js';

const l2 = (spec: Record<string, unknown>): unknown => ({ metadata: { name: 'l2' }, spec });

describe('parseL2Announcement', () => {
  it('parses and applies pool and node scope', () => {
    const r = parseL2Announcement(
      l2({
        ipPools: ['pool-a'],
        ipPoolSelector: { matchLabels: { announce: 'yes' } },
        nodeSelector: { matchExpressions: [{ key: 'node-role.kubernetes.io/edge', operator: 'Exists' }] },
        interfaces: ['eth0', 'bond0.100'],
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.interfaces).toEqual(['eth0', 'bond0.100']);
    expect(announcementCoversPool(r.value, { name: 'pool-a' })).toBe(true);
    expect(announcementCoversPool(r.value, { name: 'pool-b', labels: { announce: 'yes' } })).toBe(true);
    expect(announcementCoversPool(r.value, { name: 'pool-c' })).toBe(false);
    expect(announcementCoversNode(r.value, { 'node-role.kubernetes.io/edge': '' })).toBe(true);
    expect(announcementCoversNode(r.value, {})).toBe(false);
  });

  it('empty spec covers every pool and node', () => {
    const r = parseL2Announcement(l2({}));
    expect(
      r.ok && announcementCoversPool(r.value, { name: 'x' }) && announcementCoversNode(r.value, {}),
    ).toBe(true);
  });

  it.each([
    [{ interfaces: ['this-is-too-long0'] }, "'this-is-too-long0' is not a valid interface name"],
    [{ interfaces: ['a/b'] }, "spec.interfaces[0]: 'a/b' is not a valid interface name"],
    [{ ipPools: ['Bad_Pool'] }, "'Bad_Pool' is not a valid IPPool name"],
    [{ ipPools: ['a', 'a'] }, 'spec.ipPools[1]: Duplicate value: "a"'],
    [{ nodeSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] } }, 'values must be non-empty'],
    [{ interface: ['eth0'] }, 'unknown field "spec.interface"'],
  ])('rejects %j', (spec, message) => {
    const r = parseL2Announcement(l2(spec));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.join('\n')).toContain(message);
  });
});
