import { type Queryable, run } from './sql/connections.js';
import { PGMQ_VERSION } from './sql/statements.js';

/**
 * The pgmq extension the worker talks to (docs/protocol.md §8). Read once at start, on the pgmq database, from
 * `pg_extension.extversion`; it decides the one statement that differs across the supported range (the lease
 * heartbeat, §8.2) and refuses versions the worker's statements were never checked against.
 */

/**
 * pgmq 1.5.0 is where a message gained `headers` and `send`/`read`/`archive` took the signatures tasker's
 * `tasker.pgmq_*` functions and ours call (§8.1); nothing older is accepted.
 */
export const MIN_PGMQ_VERSION = '1.5.0';
/** `pgmq.set_vt(text, bigint[], integer)`, one UPDATE for many messages, first shipped in pgmq 1.8.0 (§8.2). */
const SET_VT_ARRAY_SINCE = '1.8.0';
/** The queue tables' `last_read_at` column, which `pgmq.read` sets, first shipped in pgmq 1.10.0 (§8.1). */
const LAST_READ_AT_SINCE = '1.10.0';

export interface PgmqInfo {
  /** `pg_extension.extversion`, as installed (e.g. `1.5.1`, `1.11.0`). */
  version: string;
  /** Whether `pgmq.set_vt(text, bigint[], integer)` exists (pgmq ≥ 1.8.0). */
  setVtArray: boolean;
  /** Whether queue tables have `last_read_at`, which a read sets (pgmq ≥ 1.10.0). */
  lastReadAt: boolean;
}

export const PgmqVersionErrorCode = {
  /** The installed pgmq is older than `MIN_PGMQ_VERSION`, or its version cannot be read. */
  UNSUPPORTED: 'pgmq_version_unsupported',
} as const;

/** The pgmq database runs a pgmq the worker does not support; `found` is its `extversion`. */
export class PgmqVersionError extends Error {
  readonly code = PgmqVersionErrorCode.UNSUPPORTED;
  readonly minimum = MIN_PGMQ_VERSION;
  constructor(readonly found: string) {
    super(
      `pgmq ${found} is not supported: the worker needs pgmq ${MIN_PGMQ_VERSION} or newer ` +
        `(ALTER EXTENSION pgmq UPDATE on the pgmq database)`,
    );
    this.name = 'PgmqVersionError';
  }
}

type Triple = [number, number, number];

/** `major.minor[.patch]` with an optional suffix (`1.11.0`, `1.5`); null when the text is no such version. */
export function parsePgmqVersion(text: string): Triple | null {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  if (!match) return null;
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

function atLeast(version: Triple, minimum: string): boolean {
  const min = parsePgmqVersion(minimum) as Triple;
  for (let i = 0; i < 3; i++) {
    if (version[i] !== min[i]) return (version[i] as number) > (min[i] as number);
  }
  return true;
}

/** What an installed `extversion` means for the worker; throws `PgmqVersionError` below `MIN_PGMQ_VERSION`. */
export function pgmqInfo(extversion: string): PgmqInfo {
  const parsed = parsePgmqVersion(extversion);
  if (parsed === null || !atLeast(parsed, MIN_PGMQ_VERSION)) throw new PgmqVersionError(extversion);
  return {
    version: extversion,
    setVtArray: atLeast(parsed, SET_VT_ARRAY_SINCE),
    lastReadAt: atLeast(parsed, LAST_READ_AT_SINCE),
  };
}

/**
 * Reads the pgmq extension's version on `db` (the pgmq database). Null when the database has no pgmq extension;
 * throws `PgmqVersionError` when it is too old.
 */
export async function detectPgmq(db: Queryable): Promise<PgmqInfo | null> {
  const [row] = await run(db, PGMQ_VERSION, []);
  return row === undefined ? null : pgmqInfo(row.extversion);
}
