/**
 * Session settings every tasker connection needs (docs/protocol.md §0): upstream's plpgsql bodies use
 * unqualified table names, and its timestamps are naive UTC. The worker's `TASKER_SESSION_OPTIONS` is the one
 * source; devdb, which sits below the worker, holds the same string for its own migration connections only, and
 * `test/pins.test.ts` fails if the two ever differ.
 */
export const TASKER_CONNECTION_OPTIONS = '-c search_path=tasker,public -c TimeZone=UTC';

/** The same server URL pointing at another database. */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** Quotes an identifier for SQL that cannot take it as a parameter (CREATE/DROP DATABASE). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
