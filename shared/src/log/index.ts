/** Logging for both binaries (`@ironlb/shared/log`). */
export { type CrashHandlerOptions, type CrashTarget, installCrashHandlers } from './crash.js';
export { componentLogger, createLogger, type LogLevel, type Logger, type LoggerOptions } from './logger.js';
