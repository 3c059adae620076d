import { parseJsonText } from '@tasker-bridge/schemas';
import pg from 'pg';
import type { Statement } from './statements.js';

/** Session settings every tasker connection needs (docs/protocol.md §0.1, §0.2). */
export const TASKER_SESSION_OPTIONS = '-c search_path=tasker,public -c TimeZone=UTC';

const TIMESTAMP_WITHOUT_TIME_ZONE = 1114;
const JSON_OID = 114;
const JSONB_OID = 3802;

/**
 * Type parsers for this package's connections only (no global mutation of node-pg): `timestamp without time
 * zone` stays the naive UTC string PostgreSQL sent and int8 stays a string (docs/protocol.md §0.5); json and
 * jsonb are read as serde_json reads them (`parseJsonText`: integers beyond 2^53 exact, as bigint), not with
 * node-pg's JSON.parse, which rounds them.
 */
const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === TIMESTAMP_WITHOUT_TIME_ZONE) return (value: string) => value;
    if ((oid === JSON_OID || oid === JSONB_OID) && format !== 'binary') return parseJsonText;
    return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
  },
} as pg.CustomTypesConfig;

export interface PoolSettings {
  connectionString: string;
  applicationName: string;
  max: number;
  connectionTimeoutMillis: number;
  onError: (error: Error) => void;
  /**
   * Plan every prepared statement once (`plan_cache_mode=force_generic_plan`); the step pools of `TaskerWorker`
   * only. With PostgreSQL's default, the statements of `statements.ts` — large, and parameterised by arrays — are
   * planned again on every execution, ~1.5 ms of server time each on a small machine, five times their execution
   * time. Their generic plans are written to be good ones (every lookup by key; see the lease in
   * `leaseAndClaimStatements`). The setting also reaches the static statements of PL/pgSQL functions they call —
   * tasker's dependency walk and its transition triggers, keyed lookups too; pgmq's functions run dynamic SQL,
   * which is never cached. Off by default: other users of this module (the dev orchestrator, with SQL of its own)
   * keep PostgreSQL's choice, since nobody wrote their statements for generic plans.
   */
  genericPlans?: boolean;
}

const GENERIC_PLANS = ' -c plan_cache_mode=force_generic_plan';

/** One pool per database, with the error handler attached before first use (docs/contributing.md "Postgres discipline"). */
export function createPool(settings: PoolSettings): pg.Pool {
  const pool = new pg.Pool({
    connectionString: settings.connectionString,
    options: settings.genericPlans === true ? TASKER_SESSION_OPTIONS + GENERIC_PLANS : TASKER_SESSION_OPTIONS,
    application_name: settings.applicationName,
    connectionTimeoutMillis: settings.connectionTimeoutMillis,
    max: settings.max,
    idleTimeoutMillis: 30_000,
    types: typeParsers,
  });
  pool.on('error', settings.onError);
  return pool;
}

/** A dedicated (unpooled) client, for LISTEN. The caller attaches `error`/`end` handlers before connecting. */
export function createClient(
  connectionString: string,
  applicationName: string,
  timeoutMs: number,
): pg.Client {
  return new pg.Client({
    connectionString,
    options: TASKER_SESSION_OPTIONS,
    application_name: applicationName,
    connectionTimeoutMillis: timeoutMs,
    types: typeParsers,
  });
}

/** Anything that can run a query: a pool or a checked-out client. */
export type Queryable = Pick<pg.Pool | pg.PoolClient | pg.Client, 'query'>;

/**
 * Runs a statement as a named prepared statement and returns its typed rows. node-pg prepares it once per
 * connection; later runs skip PostgreSQL's parse and analysis (the hydration statement is large) and may use a
 * cached plan — server CPU the worker shares with PostgreSQL on small machines (the repository README, "Performance").
 */
export async function run<Row>(
  db: Queryable,
  stmt: Statement<Row>,
  params: readonly unknown[],
): Promise<Row[]> {
  const result = await db.query({ name: stmt.name, text: stmt.text, values: params as unknown[] });
  return result.rows as Row[];
}

/** SQLSTATE codes the worker distinguishes (PostgreSQL appendix A). */
export const SqlState = {
  UNIQUE_VIOLATION: '23505',
} as const;

export function sqlState(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** Redacts the password in a connection string for logs (never log secrets, docs/contributing.md "API shape"). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable connection string>';
  }
}
