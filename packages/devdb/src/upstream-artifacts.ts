import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DevDbError, DevDbErrorCode } from './errors.js';
import { runCommand, tail } from './run-command.js';
import { PGMQ_CRATE_VERSION, TASKER_UPSTREAM_VERSION } from './versions.js';

/** The pgmq extension and tasker schema files, as shipped in the pinned crates.io crates. */
export interface UpstreamArtifacts {
  /** pgmq extension version, from the crate's `pgmq.control`. */
  pgmqVersion: string;
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

/** Locates (fetching on first use) the upstream SQL the development database is built from. */
export async function loadUpstreamArtifacts(): Promise<UpstreamArtifacts> {
  const packages = await cargoPackages();
  const pgmq = cratePackage(packages, 'pgmq', PGMQ_CRATE_VERSION);
  const taskerShared = cratePackage(packages, 'tasker-shared', TASKER_UPSTREAM_VERSION);

  const embedded = join(dirname(pgmq.manifest_path), 'src', 'install', 'embedded');
  const pgmqControlFile = requireFile(join(embedded, 'pgmq.control'), 'pgmq.control');
  const pgmqSqlFile = requireFile(join(embedded, 'sql', 'pgmq.sql'), 'pgmq.sql');
  const control = await readFile(pgmqControlFile, 'utf8');
  const version = /default_version\s*=\s*'([^']+)'/.exec(control)?.[1];
  if (!version) {
    throw new DevDbError(DevDbErrorCode.ArtifactMissing, `no default_version in ${pgmqControlFile}`);
  }

  const migrationsDir = requireFile(
    join(dirname(taskerShared.manifest_path), 'migrations'),
    'tasker migrations',
  );
  const migrationFiles = (await readdir(migrationsDir))
    .filter((name) => /^\d+_.*\.sql$/.test(name))
    .sort()
    .map((name) => join(migrationsDir, name));

  return {
    pgmqVersion: version,
    pgmqControlFile,
    pgmqSqlFile,
    migrationFiles,
    taskerSharedVersion: taskerShared.version,
  };
}
