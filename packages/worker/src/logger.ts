import type { Logger } from '@tasker-bridge/core';
import { pino } from 'pino';

/**
 * The default logger when none is injected: pino, JSON to stdout, at `level`. Applications that want
 * transports or pretty printing pass their own pino (or any `Logger`): the library never configures transports.
 */
export function createDefaultLogger(level: string, bindings: Record<string, unknown>): Logger {
  return pino(
    {
      level,
      base: { service: 'tasker-bridge-worker', ...bindings },
      redact: { paths: ['password', '*.password', 'databaseUrl', 'connectionString'], censor: '***' },
    },
    // Asynchronous stdout: a line is written at once when stdout is idle, and lines logged while a write is in
    // flight go out together in the next one. pino's synchronous default made each step wait for its log
    // line's write(2) (a fifth of the worker's CPU under load; the repository README, "Performance"). pino flushes on exit.
    pino.destination({ dest: 1, sync: false }),
  ) as unknown as Logger;
}
