import type pg from 'pg';
import type { BackoffConfig } from './backoff.js';

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

/** What every orchestration module needs: the pool, this instance's processor uuid, config, a logger. */
export interface OrchestrationContext {
  pool: pg.Pool;
  processorUuid: string;
  backoff: BackoffConfig;
  logger: Logger;
}
