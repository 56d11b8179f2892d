import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each<[string, number]>([
    ['100ms', 100],
    ['15s', 15_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    ['0.25s', 250],
    ['1m30s', 90_000],
    ['1s500ms', 1500],
    ['0', 0],
    ['0s', 0],
    [' 3s ', 3000],
    ['0.4ms', 0],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, value: ms });
  });

  it('rejects a bare number other than 0 and says which units exist', () => {
    expect(parseDuration('100')).toEqual({
      ok: false,
      error: "'100' needs a unit: ms, s, m or h (e.g. 100ms or 100s)",
    });
  });

  it.each(['', 's', '-1s', '1d', '1 s', '1.s', '.5s', '1e3ms', '1s-', 'NaNs', '0x10s', '15sec'])(
    'rejects %j',
    (text) => {
      expect(parseDuration(text)).toEqual({
        ok: false,
        error: `'${text}' is not a duration like 100ms, 15s or 2m`,
      });
    },
  );

  it('rejects durations too long to be a safe integer of milliseconds', () => {
    expect(parseDuration(`${'9'.repeat(400)}h`).ok).toBe(false);
    expect(parseDuration('9999999999999h').ok).toBe(false);
  });
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [0, '0'],
    [100, '100ms'],
    [1500, '1500ms'],
    [2000, '2s'],
    [90_000, '90s'],
    [120_000, '2m'],
    [7_200_000, '2h'],
  ])('%d → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('is read back exactly by parseDuration', () => {
    for (let ms = 0; ms < 200_000; ms += 137)
      expect(parseDuration(formatDuration(ms))).toEqual({ ok: true, value: ms });
  });
});
