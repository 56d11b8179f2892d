import { describe, expect, it } from 'vitest';
import { KeyedTokenBuckets } from './token-bucket.js';

describe('KeyedTokenBuckets', () => {
  it('allows a burst per key, then one per refill interval', () => {
    let now = 0;
    const b = new KeyedTokenBuckets({ burst: 3, refillMs: 1000, now: () => now });
    expect([1, 2, 3, 4].map(() => b.take('a'))).toEqual([true, true, true, false]);
    expect(b.take('b')).toBe(true);
    now = 999;
    expect(b.take('a')).toBe(false);
    now = 1000;
    expect(b.take('a')).toBe(true);
    expect(b.take('a')).toBe(false);
    now = 100_000;
    expect([1, 2, 3, 4].map(() => b.take('a'))).toEqual([true, true, true, false]);
  });
});
