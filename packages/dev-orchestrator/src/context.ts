import type { Logger } from '@tasker-bridge/core';
import type pg from 'pg';
import type { BackoffConfig } from './backoff.js';
import type { UnsentStepMessages } from './step-messages.js';

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
