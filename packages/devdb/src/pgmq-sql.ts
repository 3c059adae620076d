import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DevDbError, DevDbErrorCode } from './errors.js';
import type { UpstreamArtifacts } from './upstream-artifacts.js';

/**
 * Where the pgmq extension's SQL comes from: the pinned `pgmq` crate (the default), or a directory laid out like
 * the crate's `src/install/embedded/` (`pgmq.control` + `sql/pgmq.sql`), to run on the pgmq a production
 * database has rather than the newest one.
 */
export type PgmqSource = { kind: 'crate'; crateVersion: string } | { kind: 'directory'; dir: string };

/** The environment variable naming a pgmq SQL directory to use instead of the crate's SQL. */
export const PGMQ_SQL_DIR_ENV = 'TASKER_BRIDGE_PGMQ_SQL_DIR';

export interface PgmqFiles {
  controlFile: string;
  sqlFile: string;
  /** The control file's `default_version`: the version `CREATE EXTENSION pgmq` installs. */
  version: string;
}

/** The version PostgreSQL installs, from the control file; it also names the install script and the cluster. */
async function controlFileVersion(controlFile: string, invalid: DevDbErrorCode): Promise<string> {
  const control = await readFile(controlFile, 'utf8');
  const version = /^\s*default_version\s*=\s*'([^']+)'/m.exec(control)?.[1];
  if (!version || !/^[0-9A-Za-z._-]+$/.test(version)) {
    throw new DevDbError(invalid, `no usable default_version in ${controlFile}`);
  }
  return version;
}

/** pgmq's files in a crate's or a user's directory (`pgmq.control`, `sql/pgmq.sql`). */
export async function readPgmqFiles(
  dir: string,
  invalid: DevDbErrorCode = DevDbErrorCode.PgmqSqlDirInvalid,
): Promise<PgmqFiles> {
  const controlFile = join(dir, 'pgmq.control');
  const sqlFile = join(dir, 'sql', 'pgmq.sql');
  for (const file of [controlFile, sqlFile]) {
    if (!existsSync(file)) {
      throw new DevDbError(
        invalid,
        `${file} not found: a pgmq SQL directory holds pgmq.control and sql/pgmq.sql`,
      );
    }
  }
  return { controlFile, sqlFile, version: await controlFileVersion(controlFile, invalid) };
}

/** The directory asked for (option first, then the environment), absolute, or undefined for the crate's SQL. */
export function requestedPgmqSqlDir(
  pgmqSqlDir: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const dir = pgmqSqlDir ?? env[PGMQ_SQL_DIR_ENV];
  return dir ? resolve(dir) : undefined;
}

/**
 * What a cluster is keyed by: the pgmq version, and for a directory a hash of its two files, so a cluster never
 * serves databases whose pgmq differs from the extension files it has installed.
 */
export async function pgmqInstallKey(
  artifacts: Pick<UpstreamArtifacts, 'pgmqVersion' | 'pgmqSource' | 'pgmqControlFile' | 'pgmqSqlFile'>,
): Promise<string> {
  if (artifacts.pgmqSource.kind === 'crate') return `pgmq-${artifacts.pgmqVersion}`;
  const hash = createHash('sha256');
  for (const file of [artifacts.pgmqControlFile, artifacts.pgmqSqlFile]) {
    hash.update(await readFile(file)).update('\0');
  }
  return `pgmq-${artifacts.pgmqVersion}-dir-${hash.digest('hex').slice(0, 8)}`;
}
