import type { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import type { Logger } from 'pino';

/** The part of `process` the crash handlers use (tests pass an EventEmitter with a fake exit). */
export type CrashTarget = Pick<EventEmitter, 'on' | 'off'> & { exit: (code: number) => void };

export interface CrashHandlerOptions {
  readonly logger: Logger;
  /** Default: the real process. */
  readonly target?: CrashTarget;
  /** Default 1. */
  readonly exitCode?: number;
}

/**
 * Crash loudly: an exception nobody caught, or a promise rejection nobody handled, anywhere in the process
 * is logged at fatal level with its stack and the process exits non-zero, so the kubelet restarts it and
 * the reason is in the log. A process in an unknown state must not keep answering ARP or writing status.
 *
 * Invariants: the first such error exits (later ones during the exit are ignored, never logged twice or
 * re-entered); exit happens even if logging itself throws; the fatal line is flushed before exit (pino's
 * asynchronous destination flushes synchronously on process exit). Returns a function that uninstalls
 * the handlers (tests).
 */
export function installCrashHandlers(options: CrashHandlerOptions): () => void {
  const target = options.target ?? process;
  let crashed = false;
  const crash = (kind: 'uncaughtException' | 'unhandledRejection', reason: unknown): void => {
    if (crashed) return;
    crashed = true;
    try {
      const detail = reason instanceof Error ? { err: reason } : { reason: inspect(reason, { depth: 4 }) };
      options.logger.fatal({ ...detail, kind }, `${kind}: exiting`);
      options.logger.flush();
    } finally {
      target.exit(options.exitCode ?? 1);
    }
  };
  const onException = (error: unknown): void => {
    crash('uncaughtException', error);
  };
  const onRejection = (reason: unknown): void => {
    crash('unhandledRejection', reason);
  };
  target.on('uncaughtException', onException);
  target.on('unhandledRejection', onRejection);
  return () => {
    target.off('uncaughtException', onException);
    target.off('unhandledRejection', onRejection);
  };
}
