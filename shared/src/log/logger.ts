import { type DestinationStream, type Level, type Logger, pino } from 'pino';

export type { Logger } from 'pino';
export type LogLevel = Level | 'silent';

export interface LoggerOptions {
  /** Binary name, e.g. 'ironlb-controller'; appears as `name` on every line. */
  readonly name: string;
  /** Minimum level (default 'info'); main.ts maps a flag/env var to this. */
  readonly level?: LogLevel;
  /** Fields on every line (e.g. { node: 'n1' }). */
  readonly base?: Record<string, unknown>;
  /** Where lines go (default stdout); tests pass a memory stream. */
  readonly destination?: DestinationStream;
}

/**
 * A pino JSON logger. Invariants: one JSON object per line; `level` is the label ('info'),
 * `time` is ISO-8601 UTC; errors under `err` are serialised with message and stack.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: options.name,
      level: options.level ?? 'info',
      base: { ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}

/** A child logger whose lines carry `component` (e.g. 'allocator', 'leader-election'). */
export function componentLogger(parent: Logger, component: string): Logger {
  return parent.child({ component });
}
