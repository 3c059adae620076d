import type pg from 'pg';
import type { BackoffConfig } from './backoff.js';
import type { UnsentStepMessages } from './step-messages.js';

/** Structurally the `Logger` of `@tasker-bridge/core` (pino-compatible), so either can be injected. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: object): Logger;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

/** What every orchestration module needs: the pools, this instance's processor uuid, config, a logger. */
export interface OrchestrationContext {
  /** The tasker database: tasks, steps, transitions, the SQL functions. */
  pool: pg.Pool;
  /** The pgmq database: queues and `tasker.pgmq_*`. The same pool as `pool` unless the databases are split. */
  pgmqPool: pg.Pool;
  /** Split databases only (null with one database): step messages whose send failed after their transition. */
  unsent: UnsentStepMessages | null;
  processorUuid: string;
  backoff: BackoffConfig;
  logger: Logger;
}
