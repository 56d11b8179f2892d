/** Logging for both binaries (`@ironlb/shared/log`). */
export { componentLogger, createLogger, type LogLevel, type Logger, type LoggerOptions } from './logger.js';
