import { type Result, err, ok } from '../types/result.js';

/**
 * Durations as both binaries spell them on the command line: one or more `<number><unit>` terms with unit
 * `ms`, `s`, `m` or `h`, e.g. `100ms`, `15s`, `2m`, `1.5s`, `1m30s`. `0` alone is zero.
 *
 * Invariants: a bare number other than 0 is rejected (is `100` ms or s? the user must say); the result is a
 * whole number of milliseconds (rounded) and finite; nothing throws.
 */
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const TERM = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/** Text → milliseconds, or why not. */
export function parseDuration(text: string): Result<number> {
  const t = text.trim();
  if (t === '0') return ok(0);
  if (!WHOLE.test(t)) {
    return err(
      /^\d+(?:\.\d+)?$/.test(t)
        ? `'${text}' needs a unit: ms, s, m or h (e.g. ${t}ms or ${t}s)`
        : `'${text}' is not a duration like 100ms, 15s or 2m`,
    );
  }
  let ms = 0;
  for (const m of t.matchAll(TERM)) ms += Number(m[1]) * (UNIT_MS[m[2] ?? 'ms'] ?? 1);
  if (!Number.isFinite(ms) || ms > Number.MAX_SAFE_INTEGER) return err(`'${text}' is too long a duration`);
  return ok(Math.round(ms));
}

/** Milliseconds → the shortest exact text `parseDuration` reads back (`1500` → `1500ms`, `2000` → `2s`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
