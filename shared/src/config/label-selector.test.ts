import { describe, expect, it } from 'vitest';
import { matchesLabelSelector, parseLabelSelector } from './label-selector.js';
import type { LabelSelector } from '../types/api.js';

describe('matchesLabelSelector', () => {
  const labels = { app: 'web', tier: 'front' };
  it.each<[string, LabelSelector, Record<string, string> | undefined, boolean]>([
    ['empty selector matches everything', {}, labels, true],
    ['empty selector matches no labels', {}, undefined, true],
    ['matchLabels equal', { matchLabels: { app: 'web' } }, labels, true],
    ['matchLabels differ', { matchLabels: { app: 'db' } }, labels, false],
    ['matchLabels missing', { matchLabels: { zone: 'a' } }, labels, false],
    ['In hit', { matchExpressions: [{ key: 'app', operator: 'In', values: ['db', 'web'] }] }, labels, true],
    ['In miss', { matchExpressions: [{ key: 'app', operator: 'In', values: ['db'] }] }, labels, false],
    ['In absent key', { matchExpressions: [{ key: 'x', operator: 'In', values: ['a'] }] }, labels, false],
    ['NotIn hit', { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, labels, false],
    [
      'NotIn absent key',
      { matchExpressions: [{ key: 'x', operator: 'NotIn', values: ['a'] }] },
      labels,
      true,
    ],
    ['Exists', { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, labels, true],
    ['Exists absent', { matchExpressions: [{ key: 'x', operator: 'Exists' }] }, labels, false],
    ['DoesNotExist', { matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }] }, labels, true],
    ['DoesNotExist present', { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, labels, false],
    [
      'AND of all terms',
      { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }] },
      labels,
      false,
    ],
  ])('%s', (...row) => {
    const [, selector, l, expected] = row;
    expect(matchesLabelSelector(selector, l)).toBe(expected);
  });
});

describe('parseLabelSelector', () => {
  it('accepts a valid selector', () => {
    const r = parseLabelSelector({
      matchLabels: { 'app.kubernetes.io/name': 'web' },
      matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }],
    });
    expect(r).toEqual({
      ok: true,
      value: {
        matchLabels: { 'app.kubernetes.io/name': 'web' },
        matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }],
      },
    });
  });

  it.each([
    [{ matchLabels: { '-x': 'a' } }, "selector.matchLabels: '-x' is not a valid label key"],
    [{ matchLabels: { x: 'a b' } }, "selector.matchLabels.x: 'a b' is not a valid label value"],
    [{ matchExpressions: [{ key: 'a', operator: 'Gt' }] }, "operator 'Gt' must be one of"],
    [{ matchExpressions: [{ key: 'a', operator: 'NotIn' }] }, 'values must be non-empty'],
    [{ matchExpressions: [{ key: 'a', operator: 'DoesNotExist', values: ['b'] }] }, 'values must be empty'],
    [{ matchExpressions: [{ operator: 'Exists' }] }, 'selector.matchExpressions[0].key: Required value'],
    [{ matchLabel: {} }, 'unknown field "selector.matchLabel"'],
  ])('rejects %j', (raw, message) => {
    const r = parseLabelSelector(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.join('\n')).toContain(message);
  });
});
