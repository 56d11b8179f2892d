import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  it('doubles per attempt and caps', () => {
    const o = { baseMs: 100, maxMs: 1000 };
    expect([0, 1, 2, 3, 4, 100].map((n) => backoffDelay(o, n))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
  it('adds jitter within bounds, never over the cap', () => {
    const o = { baseMs: 100, maxMs: 30_000, jitter: 0.5, random: () => 0.999 };
    expect(backoffDelay(o, 0)).toBeCloseTo(149.95);
    expect(backoffDelay(o, 20)).toBe(30_000);
    expect(backoffDelay({ ...o, random: () => 0 }, 1)).toBe(200);
  });
});
