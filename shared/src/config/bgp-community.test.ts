import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCommunity } from './bgp-community.js';

/** Independent model: decimal text without leading zeros, value in range. */
const decimalIn = (text: string, max: number): boolean =>
  /^(0|[1-9][0-9]*)$/.test(text) && Number(text) <= max;

describe('parseCommunity', () => {
  it.each([
    ['65000:100', { kind: 'standard', text: '65000:100' }],
    ['0:0', { kind: 'standard', text: '0:0' }],
    ['65535:65535', { kind: 'standard', text: '65535:65535' }],
    ['large:4294967295:0:1', { kind: 'large', text: '4294967295:0:1' }],
    ['no-export', { kind: 'standard', text: 'no-export' }],
    ['65536:0', undefined],
    ['1:01', undefined],
    ['large:1:2', undefined],
    ['large:4294967296:0:0', undefined],
    ['NO_EXPORT', undefined],
    ['', undefined],
  ])('%s', (text, expected) => {
    expect(parseCommunity(text)).toEqual(expected);
  });

  it('standard numbers: exactly 0-65535 without leading zeros (against a numeric model)', () => {
    const part = fc.oneof(fc.nat(70000).map(String), fc.stringMatching(/^[0-9]{1,6}$/));
    fc.assert(
      fc.property(part, part, (a, b) => {
        const accepted = parseCommunity(`${a}:${b}`) !== undefined;
        expect(accepted).toBe(decimalIn(a, 65535) && decimalIn(b, 65535));
      }),
    );
  });

  it('large numbers: exactly 0-4294967295 without leading zeros (against a numeric model)', () => {
    const part = fc.oneof(
      fc.integer({ min: 0, max: 2 ** 32 + 1000 }).map(String),
      fc.integer({ min: 4294967000, max: 4294967400 }).map(String),
      fc.stringMatching(/^[0-9]{1,11}$/),
    );
    fc.assert(
      fc.property(part, part, part, (a, b, c) => {
        const accepted = parseCommunity(`large:${a}:${b}:${c}`) !== undefined;
        const max = 4294967295;
        expect(accepted).toBe(decimalIn(a, max) && decimalIn(b, max) && decimalIn(c, max));
      }),
    );
  });
});
