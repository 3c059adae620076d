import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import pg from 'pg';
import { databaseUrl, quoteIdent, TASKER_CONNECTION_OPTIONS } from './connection.js';
import { DevDbError, DevDbErrorCode } from './errors.js';
import { describePgmq, loadUpstreamArtifacts, type UpstreamArtifacts } from './upstream-artifacts.js';

interface Migration {
  version: bigint;
  description: string;
  sql: string;
}

/** The two template databases of a split deployment (tasker and pgmq in different databases). */
export interface SplitTemplateDatabases {
  /** tasker's own migrations only: the tasker schema, no pgmq. */
  tasker: string;
  /** The pgmq migrations only: the pgmq extension and the `tasker.pgmq_*` functions. */
  pgmq: string;
}

async function readMigrations(artifacts: UpstreamArtifacts): Promise<Migration[]> {
  return Promise.all(
    artifacts.migrationFiles.map(async (file) => {
      const match = /^(\d+)_(.*)\.sql$/.exec(basename(file));
      if (!match) throw new DevDbError(DevDbErrorCode.ArtifactMissing, `unexpected migration name ${file}`);
      return {
        version: BigInt(match[1]!),
        // sqlx's description: the file name after the version, underscores as spaces.
        description: match[2]!.replaceAll('_', ' '),
        sql: await readFile(file, 'utf8'),
      };
    }),
  );
}

/**
 * Upstream's migrator (tasker-shared `database/migrator.rs`) sends a migration to the pgmq database when its
 * description contains "pgmq", and every other one to the tasker database.
 */
function isPgmqMigration(migration: Migration): boolean {
  return migration.description.toLowerCase().includes('pgmq');
}

/** A hash of everything a template is built from, so a stale template is never reused. */
async function sourceHash(artifacts: UpstreamArtifacts, migrations: Migration[]): Promise<string> {
  const [pgmqControl, pgmqSql] = await Promise.all([
    readFile(artifacts.pgmqControlFile, 'utf8'),
    readFile(artifacts.pgmqSqlFile, 'utf8'),
  ]);
  const hash = createHash('sha256');
  hash.update(`pgmq ${artifacts.pgmqVersion}\0tasker-shared ${artifacts.taskerSharedVersion}\0`);
  hash.update(`${pgmqControl}\0${pgmqSql}`);
  for (const migration of migrations) hash.update(`\0${migration.version}\0${migration.sql}`);
  return hash.digest('hex').slice(0, 12);
}

/**
 * Applies the migrations the way sqlx does, including its bookkeeping table, so upstream programs that run
 * `sqlx::migrate!` against this database (the orchestration server) find them already applied. The table is
 * `public._sqlx_migrations`: upstream's migrators create it before any migration has created schema `tasker`.
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

/**
 * `CREATE EXTENSION pgmq` installs whatever the server's extension directory holds: a template built on a cluster
 * started for another pgmq would carry a name that lies about its contents.
 */
async function checkPgmqVersion(client: pg.Client, artifacts: UpstreamArtifacts): Promise<void> {
  const { rows } = await client.query<{ extversion: string }>(
    "SELECT extversion FROM pg_extension WHERE extname = 'pgmq'",
  );
  const installed = rows[0]?.extversion;
  if (installed !== artifacts.pgmqVersion) {
    throw new DevDbError(
      DevDbErrorCode.PgmqVersionMismatch,
      `the server installed pgmq ${installed ?? '(none)'} where ${describePgmq(artifacts)} was expected: start the cluster with the same pgmq (startDevCluster's pgmqSqlDir, TASKER_BRIDGE_PGMQ_SQL_DIR)`,
    );
  }
}

async function templateExists(admin: pg.Client, name: string): Promise<boolean> {
  const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate', [name]);
  return (found.rowCount ?? 0) > 0;
}

interface TemplateSpec {
  name: string;
  migrations: Migration[];
  /** Set when the migrations create the pgmq extension. */
  pgmqOf?: UpstreamArtifacts;
}

/** Builds the missing templates under a server-wide lock, each in a scratch database renamed when complete. */
async function ensureTemplates(adminUrl: string, specs: TemplateSpec[]): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const missing = async () => {
      const out: TemplateSpec[] = [];
      for (const spec of specs) if (!(await templateExists(admin, spec.name))) out.push(spec);
      return out;
    };
    if ((await missing()).length === 0) return;
    // Two processes building the same template wait for each other; the lock ends with this session.
    await admin.query("SELECT pg_advisory_lock(hashtext('tasker-bridge template build'))");
    for (const spec of await missing()) {
      const building = `${spec.name}_building`;
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(building)} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${quoteIdent(building)}`);
      const target = new pg.Client({
        connectionString: databaseUrl(adminUrl, building),
        options: TASKER_CONNECTION_OPTIONS,
      });
      await target.connect();
      try {
        await applyMigrations(target, spec.migrations);
        if (spec.pgmqOf) await checkPgmqVersion(target, spec.pgmqOf);
      } catch (error) {
        await target.end().catch(() => {});
        await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(building)} WITH (FORCE)`).catch(() => {});
        throw error;
      }
      await target.end();
      await admin.query(`ALTER DATABASE ${quoteIdent(building)} RENAME TO ${quoteIdent(spec.name)}`);
      await admin.query(`ALTER DATABASE ${quoteIdent(spec.name)} IS_TEMPLATE true`);
    }
  } finally {
    await admin.end();
  }
}

/**
 * Builds (once per upstream version and pgmq) a template database with `CREATE EXTENSION pgmq` and tasker's
 * migrations applied in order; test files and the demo clone it in well under a second.
 */
export async function ensureTemplateDatabase(
  adminUrl: string,
  artifacts?: UpstreamArtifacts,
): Promise<string> {
  const upstream = artifacts ?? (await loadUpstreamArtifacts());
  const migrations = await readMigrations(upstream);
  const name = `tasker_template_${await sourceHash(upstream, migrations)}`;
  await ensureTemplates(adminUrl, [{ name, migrations, pgmqOf: upstream }]);
  return name;
}

/**
 * Builds (once per upstream version and pgmq) the two templates of a split deployment, as upstream's migrator
 * leaves them: the pgmq migrations in one, every other migration in the other, each side recording only its own
 * migrations (same version, description, checksum) in its `_sqlx_migrations`. Clone both to get a tasker database
 * and its separate pgmq database.
 *
 * Upstream's split migrator issues `CREATE TABLE IF NOT EXISTS _sqlx_migrations` before every migration, so when
 * it connects as `tasker` the rows after the one that created schema `tasker` land in a second,
 * `tasker._sqlx_migrations`. We keep every row in `public._sqlx_migrations`, as sqlx does in one database.
 */
export async function ensureSplitTemplateDatabases(
  adminUrl: string,
  artifacts?: UpstreamArtifacts,
): Promise<SplitTemplateDatabases> {
  const upstream = artifacts ?? (await loadUpstreamArtifacts());
  const migrations = await readMigrations(upstream);
  const hash = await sourceHash(upstream, migrations);
  const names = { tasker: `tasker_split_tasker_${hash}`, pgmq: `tasker_split_pgmq_${hash}` };
  await ensureTemplates(adminUrl, [
    { name: names.tasker, migrations: migrations.filter((m) => !isPgmqMigration(m)) },
    { name: names.pgmq, migrations: migrations.filter(isPgmqMigration), pgmqOf: upstream },
  ]);
  return names;
}
