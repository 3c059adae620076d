import type pg from 'pg';

/**
 * Pools and the LISTEN client come from the worker's connection module (`@tasker-bridge/worker/internal`): the same
 * session settings and type parsers (docs/protocol.md §0). Only the SQL stays this package's own, as an
 * independent check of the worker (docs/contributing.md "All SQL of the queue protocol lives in one place").
 */
export type { Queryable } from '@tasker-bridge/worker/internal';

/** Runs `fn` in one transaction on one pooled client; the client is always released. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A checked-out client has no pool error listener: a backend killed between two statements would otherwise
  // surface as an uncaught 'error' event instead of failing the next query (which rolls back and rethrows).
  const onError = () => {};
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.off('error', onError);
    client.release();
  }
}
