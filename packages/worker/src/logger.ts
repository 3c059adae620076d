import type { Logger } from '@tasker-bridge/core';
import { pino } from 'pino';

/**
 * The default logger when none is injected: pino, JSON to stdout, at `level`. Applications that want
 * transports or pretty printing pass their own pino (or any `Logger`): the library never configures transports.
 */
export function createDefaultLogger(level: string, bindings: Record<string, unknown>): Logger {
  return pino({
    level,
    base: { service: 'tasker-bridge-worker', ...bindings },
    redact: { paths: ['password', '*.password', 'databaseUrl', 'connectionString'], censor: '***' },
  }) as unknown as Logger;
}
