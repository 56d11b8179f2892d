import { type Result, err, ok } from '../types/result.js';
import { formatDuration, parseDuration } from './duration.js';

/**
 * Value checks shared by the controller's and the speaker's flag parsers, so both binaries accept the same
 * spellings and answer bad input with the same kind of message: `--<flag>: '<text>' is not …`.
 * `undefined` text means the flag was not given: the default applies (defaults are not re-checked).
 */

/** Levels a user may pass to --log-level (pino's, plus silent). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

export function logLevelFlag(text: string | undefined, def: LogLevelName = 'info'): Result<LogLevelName> {
  if (text === undefined) return ok(def);
  const level = LOG_LEVELS.find((l) => l === text);
  if (level === undefined) return err(`--log-level: '${text}' is not one of ${LOG_LEVELS.join(', ')}`);
  return ok(level);
}

export interface IntRule {
  readonly name: string;
  readonly def: number;
  readonly min: number;
  readonly max: number;
}

export function intFlag(text: string | undefined, rule: IntRule): Result<number> {
  if (text === undefined) return ok(rule.def);
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < rule.min || n > rule.max)
    return err(`--${rule.name}: '${text}' is not an integer in ${rule.min}..${rule.max}`);
  return ok(n);
}

/** Ports: 1..65535 (0 would mean "any free port", which nobody can then find). */
export function portFlag(text: string | undefined, rule: { name: string; def: number }): Result<number> {
  return intFlag(text, { ...rule, min: 1, max: 65_535 });
}

export interface DurationRule {
  readonly name: string;
  readonly defMs: number;
  /** Smallest accepted value; a loop period must have minMs > 0. */
  readonly minMs: number;
  readonly maxMs: number;
  /** When true, 0 is accepted as well (meaning "off") even though minMs > 0. */
  readonly zeroMeansOff?: boolean;
}

export function durationFlag(text: string | undefined, rule: DurationRule): Result<number> {
  if (text === undefined) return ok(rule.defMs);
  const parsed = parseDuration(text);
  if (!parsed.ok) return err(`--${rule.name}: ${parsed.error}`);
  const ms = parsed.value;
  if (ms === 0 && rule.zeroMeansOff === true) return ok(0);
  if (ms < rule.minMs || ms > rule.maxMs) {
    const off = rule.zeroMeansOff === true ? ' (or 0 = off)' : '';
    return err(
      `--${rule.name}: '${text}' is not between ${formatDuration(rule.minMs)} and ${formatDuration(rule.maxMs)}${off}`,
    );
  }
  return ok(ms);
}
