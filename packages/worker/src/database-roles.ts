import { ConfigError } from './config.js';
import { sqlState } from './sql/connections.js';

/**
 * Which database a startup statement needs (docs/protocol.md §0.4): the tasker tables live in the tasker database
 * (`DATABASE_URL`), the pgmq extension and the `tasker.pgmq_*` functions in the pgmq database (`PGMQ_DATABASE_URL`,
 * the same one unless split; upstream's migrator puts every migration named `*pgmq*` there). Two swapped URLs, or
 * one pointing at the wrong half of a split, fail at the first statement with "relation/function/schema does not
 * exist"; this turns that into a `ConfigError` naming the setting, so the fix is obvious.
 */

/** undefined_table, undefined_function, invalid_schema_name. */
const MISSING_OBJECT = new Set(['42P01', '42883', '3F000']);

export interface DatabaseRole {
  /** The option and variable that chose this database, e.g. `pgmqDatabaseUrl (PGMQ_DATABASE_URL)`. */
  setting: string;
  /** What it must contain. */
  needs: string;
}

export const TASKER_TABLES = 'the tasker schema (tables such as tasker.task_namespaces)';
export const PGMQ_OBJECTS = 'the pgmq extension and the tasker.pgmq_* functions';

/** Runs `work`; a missing table, function or schema becomes a `ConfigError` for `role.setting`. */
export async function onDatabase<T>(role: DatabaseRole, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!MISSING_OBJECT.has(sqlState(error) ?? '')) throw error;
    throw new ConfigError(
      role.setting,
      `points at a database without ${role.needs} (${(error as Error).message}); with split databases ` +
        'DATABASE_URL is the tasker database and PGMQ_DATABASE_URL the pgmq one',
    );
  }
}
