import { describe, expect, it } from 'vitest';
import { median, percentile } from './metallb-stats.js';

describe('percentile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_v, i) => i + 1); // 1..100

  it('p50 and p99 of 1..100 are 50 and 99', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
  });

  it('p100 is the maximum and p0 the minimum', () => {
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile(hundred, 0)).toBe(1);
  });

  it('p99 of a small sample is its maximum', () => {
    expect(percentile([3, 7, 9], 99)).toBe(9);
    expect(percentile([3, 7, 9], 50)).toBe(7);
  });

  it('has no value for an empty sample', () => {
    expect(percentile([], 50)).toBeUndefined();
  });

  it('rejects p outside [0, 100]', () => {
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });
});

describe('median', () => {
  it('takes the middle of an odd sample regardless of order', () => {
    expect(median([9, 1, 5])).toBe(5);
  });

  it('averages the two middle values of an even sample', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('does not reorder its input', () => {
    const xs = [3, 1, 2];
    median(xs);
    expect(xs).toEqual([3, 1, 2]);
  });

  it('has no value for an empty sample', () => {
    expect(median([])).toBeUndefined();
  });
});
