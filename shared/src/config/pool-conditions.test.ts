import { describe, expect, it } from 'vitest';
import { comparePoolAge } from './pool-conditions.js';

const pool = (name: string, creationTimestamp: string): { name: string; creationTimestamp: string } => ({
  name,
  creationTimestamp,
});

describe('comparePoolAge', () => {
  it('puts the older pool first whatever its name', () => {
    const older = pool('zz', '2026-01-01T00:00:00Z');
    const newer = pool('aa', '2026-01-01T00:00:01Z');
    expect([newer, older].sort(comparePoolAge)).toEqual([older, newer]);
  });

  it('breaks ties by name in code-unit order', () => {
    const t = '2026-01-01T00:00:00Z';
    const names = ['pool-b', 'pool.a', 'pool-10', 'pool-9', 'pool-a', 'pool1'];
    // Code units: '-' (0x2d) < '.' (0x2e) < digits < letters.
    expect(
      names
        .map((n) => pool(n, t))
        .sort(comparePoolAge)
        .map((p) => p.name),
    ).toEqual(['pool-10', 'pool-9', 'pool-a', 'pool-b', 'pool.a', 'pool1']);
    expect(comparePoolAge(pool('same', t), pool('same', t))).toBe(0);
  });
});
