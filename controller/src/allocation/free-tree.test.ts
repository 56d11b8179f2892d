import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FreeTree } from './free-tree.js';

describe('FreeTree', () => {
  it('takes and gives addresses, merging neighbours', () => {
    const t = new FreeTree();
    t.insert(0n, 9n);
    expect(t.take(0n)).toBe(true);
    expect(t.take(0n)).toBe(false);
    expect(t.take(5n)).toBe(true);
    expect(t.min()).toEqual({ start: 1n, end: 4n });
    expect(t.size).toBe(2);
    t.give(5n);
    expect(t.size).toBe(1);
    expect(t.min()).toEqual({ start: 1n, end: 9n });
    t.give(0n);
    expect(t.min()).toEqual({ start: 0n, end: 9n });
    expect(t.has(10n)).toBe(false);
  });

  it('matches a reference set under random take/give', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 63 })), { maxLength: 200 }),
        (ops) => {
          const t = new FreeTree();
          t.insert(0n, 63n);
          const free = new Set<number>(Array.from({ length: 64 }, (_, i) => i));
          for (const [take, x] of ops) {
            if (take) expect(t.take(BigInt(x))).toBe(free.delete(x));
            else {
              t.give(BigInt(x));
              free.add(x);
            }
          }
          const lowest = Math.min(...free);
          expect(t.min()?.start).toBe(free.size === 0 ? undefined : BigInt(lowest));
          for (let i = 0; i < 64; i++) expect(t.has(BigInt(i))).toBe(free.has(i));
        },
      ),
    );
  });

  it('holds a whole IPv6 /64 as one node', () => {
    const t = new FreeTree();
    t.insert(1n << 64n, (2n << 64n) - 1n);
    for (let i = 0n; i < 1000n; i++) expect(t.take((1n << 64n) + i)).toBe(true);
    expect(t.size).toBe(1);
    expect(t.min()?.start).toBe((1n << 64n) + 1000n);
  });
});
