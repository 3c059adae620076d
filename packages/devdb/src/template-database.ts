import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import pg from 'pg';
import { databaseUrl, quoteIdent, TASKER_CONNECTION_OPTIONS } from './connection.js';
import { DevDbError, DevDbErrorCode } from './errors.js';
import { loadUpstreamArtifacts, type UpstreamArtifacts } from './upstream-artifacts.js';

interface Migration {
  version: bigint;
  description: string;
  sql: string;
}

async function readMigrations(artifacts: UpstreamArtifacts): Promise<Migration[]> {
  return Promise.all(
    artifacts.migrationFiles.map(async (file) => {
      const match = /^(\d+)_(.*)\.sql$/.exec(basename(file));
      if (!match) throw new DevDbError(DevDbErrorCode.ArtifactMissing, `unexpected migration name ${file}`);
      return {
        version: BigInt(match[1]!),
        description: match[2]!.replaceAll('_', ' '),
        sql: await readFile(file, 'utf8'),
      };
    }),
  );
}

/** The template's name changes whenever anything it is built from changes, so a stale one is never reused. */
function templateName(artifacts: UpstreamArtifacts, pgmqSql: string, migrations: Migration[]): string {
  const hash = createHash('sha256');
  hash.update(`pgmq ${artifacts.pgmqVersion}\0tasker-shared ${artifacts.taskerSharedVersion}\0${pgmqSql}`);
  for (const migration of migrations) hash.update(`\0${migration.version}\0${migration.sql}`);
  return `tasker_template_${hash.digest('hex').slice(0, 12)}`;
}

/**
 * Applies the migrations the way sqlx does, including its bookkeeping table, so upstream programs that run
 * `sqlx::migrate!` against this database (the orchestration server) find them already applied.
 */
async function applyMigrations(client: pg.Client, migrations: Migration[]): Promise<void> {
  await client.query(`CREATE TABLE IF NOT EXISTS public._sqlx_migrations (
    version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),
    success BOOLEAN NOT NULL, checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL)`);
  for (const migration of migrations) {
    const started = process.hrtime.bigint();
    try {
      await client.query('BEGIN');
      await client.query(migration.sql);
      await client.query(
        'INSERT INTO public._sqlx_migrations (version, description, success, checksum, execution_time) VALUES ($1, $2, true, $3, $4)',
        [
          migration.version.toString(),
          migration.description,
          createHash('sha384').update(migration.sql).digest(),
          (process.hrtime.bigint() - started).toString(),
        ],
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw new DevDbError(
        DevDbErrorCode.MigrationFailed,
        `tasker migration ${migration.version} (${migration.description}) failed: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
}

async function templateExists(admin: pg.Client, name: string): Promise<boolean> {
  const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate', [name]);
  return (found.rowCount ?? 0) > 0;
}

/**
 * Builds (once per upstream version) a template database with `CREATE EXTENSION pgmq` and tasker's migrations
 * applied in order; test files and the demo clone it in well under a second.
 */
export async function ensureTemplateDatabase(
  adminUrl: string,
  artifacts?: UpstreamArtifacts,
): Promise<string> {
  const upstream = artifacts ?? (await loadUpstreamArtifacts());
  const [pgmqSql, migrations] = await Promise.all([
    readFile(upstream.pgmqSqlFile, 'utf8'),
    readMigrations(upstream),
  ]);
  const name = templateName(upstream, pgmqSql, migrations);

  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    if (await templateExists(admin, name)) return name;
    // A server-wide lock: two processes building the same template wait for each other.
    await admin.query("SELECT pg_advisory_lock(hashtext('tasker-bridge template build'))");
    if (await templateExists(admin, name)) return name;

    const building = `${name}_building`;
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(building)} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${quoteIdent(building)}`);
    const target = new pg.Client({
      connectionString: databaseUrl(adminUrl, building),
      options: TASKER_CONNECTION_OPTIONS,
    });
    await target.connect();
    try {
      await applyMigrations(target, migrations);
    } finally {
      await target.end();
    }
    await admin.query(`ALTER DATABASE ${quoteIdent(building)} RENAME TO ${quoteIdent(name)}`);
    await admin.query(`ALTER DATABASE ${quoteIdent(name)} IS_TEMPLATE true`);
    return name;
  } finally {
    await admin.end();
  }
}
