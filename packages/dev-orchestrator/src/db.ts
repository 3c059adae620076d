import { parseJsonText } from '@tasker-bridge/schemas';
import pg from 'pg';

/** Session settings every tasker connection needs (docs/protocol.md §0.1, §0.2). */
export const TASKER_SESSION_OPTIONS = '-c search_path=tasker,public -c TimeZone=UTC';

const TIMESTAMP_WITHOUT_TIME_ZONE = 1114;
const JSON_OID = 114;
const JSONB_OID = 3802;

/**
 * Type parsers for this package's pools only (no global mutation of node-pg): `timestamp without time zone`
 * stays the naive UTC string PostgreSQL sent, int8 stays a string (node-pg's default), docs/protocol.md §0.5;
 * json and jsonb are read as serde_json reads them (`parseJsonText`: integers beyond 2^53 exact, as bigint),
 * not with node-pg's JSON.parse, which rounds them.
 */
const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === TIMESTAMP_WITHOUT_TIME_ZONE) return (value: string) => value;
    if ((oid === JSON_OID || oid === JSONB_OID) && format !== 'binary') return parseJsonText;
    return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
  },
} as pg.CustomTypesConfig;

export interface PoolOptions {
  databaseUrl: string;
  applicationName: string;
  max?: number;
  onError: (error: Error) => void;
}

export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    options: TASKER_SESSION_OPTIONS,
    application_name: options.applicationName,
    connectionTimeoutMillis: 10_000,
    max: options.max ?? 5,
    types: typeParsers,
  });
  pool.on('error', options.onError);
  return pool;
}

export function createClient(databaseUrl: string, applicationName: string): pg.Client {
  return new pg.Client({
    connectionString: databaseUrl,
    options: TASKER_SESSION_OPTIONS,
    application_name: applicationName,
    connectionTimeoutMillis: 10_000,
    types: typeParsers,
  });
}

/** Anything that can run a query: the pool or a client inside a transaction. */
export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

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
