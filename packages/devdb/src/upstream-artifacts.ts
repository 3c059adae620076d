import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DevDbError, DevDbErrorCode } from './errors.js';
import { type PgmqFiles, type PgmqSource, readPgmqFiles, requestedPgmqSqlDir } from './pgmq-sql.js';
import { runCommand, tail } from './run-command.js';
import { PGMQ_CRATE_VERSION, TASKER_UPSTREAM_VERSION } from './versions.js';

/** The pgmq extension and tasker schema files: the pinned crates.io crates', or pgmq from a directory. */
export interface UpstreamArtifacts {
  /** pgmq extension version, the `default_version` of `pgmqControlFile`. */
  pgmqVersion: string;
  pgmqSource: PgmqSource;
  pgmqControlFile: string;
  pgmqSqlFile: string;
  /** tasker-shared `migrations/*.sql`, in the order sqlx applies them (by version prefix). */
  migrationFiles: string[];
  taskerSharedVersion: string;
}

/** `upstream/Cargo.toml`, one level above both `src/` and `dist/`. */
const manifestPath = fileURLToPath(new URL('../upstream/Cargo.toml', import.meta.url));

interface CargoPackage {
  name: string;
  version: string;
  manifest_path: string;
}

function cargoBinary(): string {
  const local = join(process.env.CARGO_HOME ?? join(homedir(), '.cargo'), 'bin', 'cargo');
  return existsSync(local) ? local : 'cargo';
}

async function cargo(args: string[]) {
  try {
    return await runCommand(cargoBinary(), args);
  } catch (error) {
    throw new DevDbError(
      DevDbErrorCode.CargoUnavailable,
      'cargo is needed to fetch pgmq and tasker-shared from crates.io, but it could not be run. Install Rust (rustup) and retry.',
      { cause: error },
    );
  }
}

async function cargoPackages(): Promise<CargoPackage[]> {
  const metadataArgs = ['metadata', '--format-version', '1', '--locked', '--manifest-path', manifestPath];
  let result = await cargo([...metadataArgs, '--offline']);
  if (result.code !== 0) {
    // First use on this machine: download the pinned crates into cargo's own cache (never into the repo).
    const fetched = await cargo(['fetch', '--locked', '--manifest-path', manifestPath]);
    if (fetched.code !== 0) {
      throw new DevDbError(
        DevDbErrorCode.CargoFetchFailed,
        `cargo fetch of the pinned upstream crates failed:\n${tail(fetched.stderr)}`,
      );
    }
    result = await cargo([...metadataArgs, '--offline']);
  }
  if (result.code !== 0) {
    throw new DevDbError(DevDbErrorCode.CargoFetchFailed, `cargo metadata failed:\n${tail(result.stderr)}`);
  }
  return (JSON.parse(result.stdout) as { packages: CargoPackage[] }).packages;
}

/** By name and exact version: tasker-shared itself depends on an older pgmq crate. */
function cratePackage(packages: CargoPackage[], name: string, version: string): CargoPackage {
  const found = packages.find((p) => p.name === name && p.version === version);
  if (!found) {
    throw new DevDbError(
      DevDbErrorCode.ArtifactMissing,
      `crate ${name} ${version} is not in ${manifestPath}'s dependency graph`,
    );
  }
  return found;
}

function requireFile(path: string, what: string): string {
  if (!existsSync(path)) {
    throw new DevDbError(DevDbErrorCode.ArtifactMissing, `${what} not found at ${path}`);
  }
  return path;
}

export interface UpstreamArtifactsOptions {
  /**
   * A directory holding `pgmq.control` and `sql/pgmq.sql` to install as pgmq instead of the crate's SQL (e.g.
   * pgmq 1.5.1, what upstream's PostgreSQL 17 image ships). Defaults to `TASKER_BRIDGE_PGMQ_SQL_DIR`.
   */
  pgmqSqlDir?: string | undefined;
  /** Defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
}

async function cratePgmq(packages: CargoPackage[]): Promise<{ pgmq: PgmqFiles; pgmqSource: PgmqSource }> {
  const crate = cratePackage(packages, 'pgmq', PGMQ_CRATE_VERSION);
  const embedded = join(dirname(crate.manifest_path), 'src', 'install', 'embedded');
  return {
    pgmq: await readPgmqFiles(embedded, DevDbErrorCode.ArtifactMissing),
    pgmqSource: { kind: 'crate', crateVersion: crate.version },
  };
}

/** Locates (fetching on first use) the upstream SQL the development database is built from. */
export async function loadUpstreamArtifacts(
  options: UpstreamArtifactsOptions = {},
): Promise<UpstreamArtifacts> {
  const pgmqSqlDir = requestedPgmqSqlDir(options.pgmqSqlDir, options.env);
  // A bad directory is reported before cargo runs: it is the user's setting, not a fetch problem.
  const fromDir =
    pgmqSqlDir === undefined
      ? undefined
      : {
          pgmq: await readPgmqFiles(pgmqSqlDir),
          pgmqSource: { kind: 'directory', dir: pgmqSqlDir } as const,
        };
  const packages = await cargoPackages();
  const taskerShared = cratePackage(packages, 'tasker-shared', TASKER_UPSTREAM_VERSION);
  const { pgmq, pgmqSource } = fromDir ?? (await cratePgmq(packages));

  const migrationsDir = requireFile(
    join(dirname(taskerShared.manifest_path), 'migrations'),
    'tasker migrations',
  );
  const migrationFiles = (await readdir(migrationsDir))
    .filter((name) => /^\d+_.*\.sql$/.test(name))
    .sort()
    .map((name) => join(migrationsDir, name));

  return {
    pgmqVersion: pgmq.version,
    pgmqSource,
    pgmqControlFile: pgmq.controlFile,
    pgmqSqlFile: pgmq.sqlFile,
    migrationFiles,
    taskerSharedVersion: taskerShared.version,
  };
}

/** One line saying which pgmq this is, for logs and `db up`: `pgmq 1.11.0 (pgmq crate 0.33.2)`. */
export function describePgmq(artifacts: Pick<UpstreamArtifacts, 'pgmqVersion' | 'pgmqSource'>): string {
  const source = artifacts.pgmqSource;
  return `pgmq ${artifacts.pgmqVersion} (${source.kind === 'crate' ? `pgmq crate ${source.crateVersion}` : source.dir})`;
}
