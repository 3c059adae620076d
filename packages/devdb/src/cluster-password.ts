import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';

/**
 * The superuser password of a development cluster: random per cluster, kept in a 0600 file inside the 0700 data
 * directory (so only the cluster's owner, and root, can read it), and part of `adminUrl` (`tasker-bridge db url`
 * prints it). A fixed password would let any local user into every developer's database on a shared host.
 */
const PASSWORD_FILE = 'tasker-bridge-password';
/** Written before the role's password changes, renamed to PASSWORD_FILE after: a crash in between leaves both known. */
const PENDING_FILE = `${PASSWORD_FILE}.pending`;

/** The password of clusters initialised before passwords were per cluster; such clusters are migrated. */
const LEGACY_PASSWORD = 'tasker';

/** 32 URL-safe characters: fits a connection URL and an SQL literal as is. */
export function newClusterPassword(): string {
  return randomBytes(24).toString('base64url');
}

export async function writeClusterPassword(dataDir: string, password: string): Promise<void> {
  const pending = join(dataDir, PENDING_FILE);
  await writeFile(pending, password, { mode: 0o600 });
  await rename(pending, join(dataDir, PASSWORD_FILE));
}

async function readIfThere(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Where the password is kept: inside the data directory, so only the cluster's owner (and root) can read it. */
export function clusterPasswordFile(dataDir: string): string {
  return join(dataDir, PASSWORD_FILE);
}

/** The cluster's password, or undefined for a cluster from before passwords were per cluster. */
export function readClusterPassword(dataDir: string): Promise<string | undefined> {
  return readIfThere(join(dataDir, PASSWORD_FILE));
}

async function canLogIn(port: number, user: string, password: string): Promise<boolean> {
  const client = new pg.Client({ host: '127.0.0.1', port, user, password, database: 'postgres' });
  client.on('error', () => {});
  try {
    await client.connect();
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === '28P01') return false; // invalid_password
    throw error;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * The password to use for a running cluster. A cluster from before passwords were per cluster (no password file)
 * still has the legacy one. When `migrate` (this process started the server, so no one else is using it) it gets
 * a random one now; otherwise (a server another process started, perhaps an older version of this package that
 * knows only the legacy password) it is left alone until it is next started here.
 */
export async function clusterPassword(
  dataDir: string,
  port: number,
  user: string,
  migrate: boolean,
): Promise<string> {
  const current = await readClusterPassword(dataDir);
  if (current !== undefined) return current;
  const pending = await readIfThere(join(dataDir, PENDING_FILE));
  if (pending !== undefined && (await canLogIn(port, user, pending))) {
    await rename(join(dataDir, PENDING_FILE), join(dataDir, PASSWORD_FILE));
    return pending;
  }
  if (!migrate) return LEGACY_PASSWORD;
  const password = newClusterPassword();
  await writeFile(join(dataDir, PENDING_FILE), password, { mode: 0o600 });
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user,
    password: LEGACY_PASSWORD,
    database: 'postgres',
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query(`ALTER ROLE ${pg.escapeIdentifier(user)} PASSWORD ${pg.escapeLiteral(password)}`);
  } catch (error) {
    await rm(join(dataDir, PENDING_FILE), { force: true });
    throw error;
  } finally {
    await client.end().catch(() => {});
  }
  await rename(join(dataDir, PENDING_FILE), join(dataDir, PASSWORD_FILE));
  return password;
}
