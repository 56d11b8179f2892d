import { describe, expect, it } from 'vitest';
import type { LabelSelector } from '@ironlb/shared';
import { combineSelectors } from './selectors.js';

describe('combineSelectors', () => {
  it('returns a single selector unchanged', () => {
    const s = { matchLabels: { a: '1', b: '2' } };
    expect(combineSelectors([s])).toEqual({ ok: true, value: s });
  });

  it('merges equality and In tests on one key into one In expression, values de-duplicated', () => {
    const merged = combineSelectors([
      { matchLabels: { team: 'a' } },
      { matchExpressions: [{ key: 'team', operator: 'In', values: ['b', 'a'] }] },
    ]);
    expect(merged).toEqual({
      ok: true,
      value: { matchExpressions: [{ key: 'team', operator: 'In', values: ['a', 'b'] }] },
    });
  });

  it.each<[string, LabelSelector[]]>([
    ['different keys', [{ matchLabels: { team: 'a' } }, { matchLabels: { env: 'prod' } }]],
    [
      'two labels in one selector',
      [{ matchLabels: { team: 'a', env: 'x' } }, { matchLabels: { team: 'b' } }],
    ],
    [
      'a NotIn test',
      [
        { matchLabels: { team: 'a' } },
        { matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['b'] }] },
      ],
    ],
    ['an empty selector', [{}, { matchLabels: { team: 'b' } }]],
  ])('refuses %s', (_name, list) => {
    expect(combineSelectors(list)).toEqual({
      ok: false,
      error: '2 selectors are ORed and are not all equality tests on one label key',
    });
  });
});
