import { lstatSync, readFileSync } from 'node:fs';
import { chmod, chown, lchown, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type DevCluster,
  devClusterUrl,
  devDbCacheDir,
  isRoot,
  startDevCluster,
  stopDevCluster,
} from '@tasker-bridge/devdb';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresOsUser } from '../src/cluster.js';

// A cache of this file's own (a cluster it may stop and restart), named like a home directory with spaces, both
// quotes and a `$` in it: pg_ctl hands paths to a shell.
const scratch = join(devDbCacheDir(), 'shared-host-test');
const cacheDir = join(scratch, `a "home" with 'quotes' $HOME`);
const PASSWORD = /^postgres:\/\/tasker:([A-Za-z0-9_-]{32})@127\.0\.0\.1:\d+\/postgres$/;
const held: DevCluster[] = [];

async function start(): Promise<DevCluster> {
  const cluster = await startDevCluster({ cacheDir });
  held.push(cluster);
  return cluster;
}

async function release(cluster: DevCluster): Promise<void> {
  held.splice(held.indexOf(cluster), 1);
  await cluster.release();
}

async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

const withPassword = (url: string, password: string) => url.replace(/:[^:@/]+@/, `:${password}@`);

afterAll(async () => {
  for (const cluster of held.splice(0)) await cluster.release().catch(() => {});
  await stopDevCluster({ cacheDir }).catch(() => false);
  await rm(scratch, { recursive: true, force: true });
});

describe('the development cluster on a shared host', () => {
  it('runs from a path with spaces, quotes and $, with a random password kept in a 0600 file', async () => {
    const cluster = await start();
    const password = PASSWORD.exec(cluster.adminUrl)?.[1] as string;
    expect(password).toBeDefined();
    expect((await query(cluster.adminUrl, 'SHOW data_directory')).rows[0].data_directory).toBe(
      cluster.dataDir,
    );

    const file = join(cluster.dataDir, 'tasker-bridge-password');
    expect(readFileSync(file, 'utf8')).toBe(password);
    expect(lstatSync(file).mode & 0o777).toBe(0o600);
    expect(lstatSync(cluster.dataDir).mode & 0o777).toBe(0o700);
    expect(lstatSync(cacheDir).mode & 0o077).toBe(isRoot() ? 0o011 : 0);
    expect(await devClusterUrl({ cacheDir })).toBe(cluster.adminUrl);
    await expect(query(withPassword(cluster.adminUrl, 'tasker'), 'SELECT 1')).rejects.toMatchObject({
      code: '28P01',
    });
    await release(cluster);
    expect(await devClusterUrl({ cacheDir })).toBeUndefined();
  }, 180_000);

  it('migrates a cluster from before per-cluster passwords when it starts it, never under a running server', async () => {
    const first = await start();
    // What an older version left: the fixed password, no password file.
    await query(first.adminUrl, "ALTER ROLE tasker PASSWORD 'tasker'");
    await rm(join(first.dataDir, 'tasker-bridge-password'));

    // Joining the running server (perhaps started by that older version): its password is left alone.
    const joined = await start();
    expect(joined.startedHere).toBe(false);
    expect(joined.adminUrl).toBe(withPassword(first.adminUrl, 'tasker'));
    expect((await query(joined.adminUrl, 'SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await release(joined);
    await release(first);

    // As root, a link planted in the cluster's directory is handed to postgres itself, never its target.
    const target = join(scratch, 'not-for-postgres');
    await writeFile(target, '');
    await symlink(target, join(first.dataDir, '..', 'planted-link'));

    const restarted = await start();
    expect(restarted.startedHere).toBe(true);
    const password = PASSWORD.exec(restarted.adminUrl)?.[1] as string;
    expect(password).not.toBe('tasker');
    expect(readFileSync(join(restarted.dataDir, 'tasker-bridge-password'), 'utf8')).toBe(password);
    expect((await query(restarted.adminUrl, 'SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await expect(query(withPassword(restarted.adminUrl, 'tasker'), 'SELECT 1')).rejects.toMatchObject({
      code: '28P01',
    });
    const postgres = await postgresOsUser();
    if (postgres) {
      expect(lstatSync(join(restarted.dataDir, '..', 'planted-link')).uid).toBe(postgres.uid);
      expect(lstatSync(target).uid).toBe(0);
    }
    await release(restarted);
  }, 180_000);

  it('refuses a cache directory writable by others, or (as root) owned by someone else or behind their link', async () => {
    const writable = join(scratch, 'writable');
    await mkdir(writable);
    await chmod(writable, 0o777);
    await expect(startDevCluster({ cacheDir: writable })).rejects.toMatchObject({
      code: 'cache_path_unsafe',
      message: expect.stringContaining('others can write to it'),
    });

    const toWritable = join(scratch, 'to-writable');
    await symlink(writable, toWritable);
    await expect(startDevCluster({ cacheDir: toWritable })).rejects.toMatchObject({
      code: 'cache_path_unsafe',
      message: expect.stringContaining('others can write to it'),
    });

    if (isRoot()) {
      const foreign = join(scratch, 'foreign');
      await mkdir(foreign, { mode: 0o755 });
      await chown(foreign, 65534, 65534);
      await expect(startDevCluster({ cacheDir: foreign })).rejects.toMatchObject({
        code: 'cache_path_unsafe',
        message: expect.stringContaining('owned by uid 65534'),
      });
      // A link someone else planted where the cache would be, even to a directory of root's own.
      const planted = join(scratch, 'planted');
      await symlink(cacheDir, planted);
      await lchown(planted, 65534, 65534);
      await expect(startDevCluster({ cacheDir: planted })).rejects.toMatchObject({
        code: 'cache_path_unsafe',
        message: expect.stringContaining('symbolic link owned by uid 65534'),
      });
    }
  });
});
