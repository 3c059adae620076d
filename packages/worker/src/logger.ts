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
    // Asynchronous, buffered stdout (pino's "asynchronous logging"): lines go out 4 KiB at a time, or at the
    // latest 250 ms after they were logged. pino's synchronous default made each step wait for its line's
    // write(2); unbuffered asynchronous writes cost a thread-pool hand-off per line, four to six system calls
    // (futex, eventfd) per step, a tenth of the worker's CPU at c = 10 (the repository README, "Performance").
    // pino flushes the buffer on exit; a SIGKILL loses at most the last 250 ms of lines.
    pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 250 }),
  ) as unknown as Logger;
}
