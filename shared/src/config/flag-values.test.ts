import { describe, expect, it } from 'vitest';
import { LOG_LEVELS, durationFlag, intFlag, logLevelFlag, portFlag } from './flag-values.js';

describe('logLevelFlag', () => {
  it('accepts every listed level and defaults when unset', () => {
    for (const level of LOG_LEVELS) expect(logLevelFlag(level)).toEqual({ ok: true, value: level });
    expect(logLevelFlag(undefined)).toEqual({ ok: true, value: 'info' });
    expect(logLevelFlag(undefined, 'warn')).toEqual({ ok: true, value: 'warn' });
  });

  it('rejects anything else instead of casting it', () => {
    expect(logLevelFlag('loud')).toEqual({
      ok: false,
      error: "--log-level: 'loud' is not one of trace, debug, info, warn, error, fatal, silent",
    });
    expect(logLevelFlag('INFO').ok).toBe(false);
    expect(logLevelFlag('').ok).toBe(false);
  });
});

describe('intFlag / portFlag', () => {
  const rule = { name: 'workers', def: 8, min: 1, max: 256 };
  it('default when unset, value when in range', () => {
    expect(intFlag(undefined, rule)).toEqual({ ok: true, value: 8 });
    expect(intFlag('1', rule)).toEqual({ ok: true, value: 1 });
    expect(intFlag('256', rule)).toEqual({ ok: true, value: 256 });
  });

  it.each(['0', '257', '-1', '1.5', '1e2', ' 4', 'x', '', '0x10'])('rejects %j', (text) => {
    expect(intFlag(text, rule)).toEqual({
      ok: false,
      error: `--workers: '${text}' is not an integer in 1..256`,
    });
  });

  it('ports are 1..65535', () => {
    expect(portFlag('1', { name: 'p', def: 7 })).toEqual({ ok: true, value: 1 });
    expect(portFlag('65535', { name: 'p', def: 7 })).toEqual({ ok: true, value: 65_535 });
    expect(portFlag('0', { name: 'p', def: 7 }).ok).toBe(false);
    expect(portFlag('65536', { name: 'p', def: 7 })).toEqual({
      ok: false,
      error: "--p: '65536' is not an integer in 1..65535",
    });
  });
});

describe('durationFlag', () => {
  const rule = { name: 'heartbeat-interval', defMs: 100, minMs: 10, maxMs: 60_000 };
  it('default when unset, milliseconds when in range', () => {
    expect(durationFlag(undefined, rule)).toEqual({ ok: true, value: 100 });
    expect(durationFlag('10ms', rule)).toEqual({ ok: true, value: 10 });
    expect(durationFlag('1m', rule)).toEqual({ ok: true, value: 60_000 });
  });

  it('rejects 0 for a period (a zero interval would spin) and values out of range', () => {
    expect(durationFlag('0', rule)).toEqual({
      ok: false,
      error: "--heartbeat-interval: '0' is not between 10ms and 1m",
    });
    expect(durationFlag('0s', rule).ok).toBe(false);
    expect(durationFlag('9ms', rule).ok).toBe(false);
    expect(durationFlag('61s', rule).ok).toBe(false);
  });

  it('names the flag when the text is not a duration', () => {
    expect(durationFlag('100', rule)).toEqual({
      ok: false,
      error: "--heartbeat-interval: '100' needs a unit: ms, s, m or h (e.g. 100ms or 100s)",
    });
  });

  it('accepts 0 as off only where the rule says so', () => {
    const probe = {
      name: 'conflict-probe-interval',
      defMs: 10_000,
      minMs: 100,
      maxMs: 3_600_000,
      zeroMeansOff: true,
    };
    expect(durationFlag('0', probe)).toEqual({ ok: true, value: 0 });
    expect(durationFlag('0ms', probe)).toEqual({ ok: true, value: 0 });
    expect(durationFlag('50ms', probe)).toEqual({
      ok: false,
      error: "--conflict-probe-interval: '50ms' is not between 100ms and 1h (or 0 = off)",
    });
  });
});
