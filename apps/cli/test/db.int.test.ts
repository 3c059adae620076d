import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devDbCacheDir, loadUpstreamArtifacts } from '@tasker-bridge/devdb';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support.js';

// A cache directory of this file's own: `db down` must never stop the cluster the other test files use. Under the
// devdb cache dir because as root the server runs as `postgres`, which must reach it.
const cacheDir = join(devDbCacheDir(), 'cli-db-test');
const previousCacheDir = process.env.TASKER_BRIDGE_CACHE_DIR;
let pgmqDir: string;

beforeAll(async () => {
  // A pgmq SQL directory made of the crate's own files (the layout the option takes), so this test needs nothing
  // outside the repository; its content-keyed cluster is not the crate's cluster.
  const crate = await loadUpstreamArtifacts({ env: {} });
  pgmqDir = await mkdtemp(join(tmpdir(), 'tasker-bridge-pgmq-'));
  await mkdir(join(pgmqDir, 'sql'));
  await copyFile(crate.pgmqControlFile, join(pgmqDir, 'pgmq.control'));
  await copyFile(crate.pgmqSqlFile, join(pgmqDir, 'sql', 'pgmq.sql'));
  process.env.TASKER_BRIDGE_CACHE_DIR = cacheDir;
});

afterAll(async () => {
  await runCli('db', 'down', '--pgmq-sql-dir', pgmqDir);
  if (previousCacheDir === undefined) delete process.env.TASKER_BRIDGE_CACHE_DIR;
  else process.env.TASKER_BRIDGE_CACHE_DIR = previousCacheDir;
  await rm(pgmqDir, { recursive: true, force: true });
});

describe('tasker-bridge db with --pgmq-sql-dir', () => {
  it('up installs pgmq from the directory; url and down address that cluster only', async () => {
    const up = await runCli('db', 'up', '--pgmq-sql-dir', pgmqDir);
    expect(up.code).toBe(0);
    expect(up.stderr).toContain(`pgmq 1.11.0 (${pgmqDir})`);
    const adminUrl = up.stdout.trim();
    // The cluster's own random password, which `db url` prints too.
    expect(adminUrl).toMatch(/^postgres:\/\/tasker:[A-Za-z0-9_-]{32}@127\.0\.0\.1:\d+\/postgres$/);

    const template = /template database: (\S+)/.exec(up.stderr)?.[1];
    const client = new pg.Client({ connectionString: adminUrl.replace(/\/postgres$/, `/${template}`) });
    await client.connect();
    try {
      const ext = await client.query("SELECT extversion FROM pg_extension WHERE extname = 'pgmq'");
      expect(ext.rows).toEqual([{ extversion: '1.11.0' }]);
    } finally {
      await client.end();
    }

    expect(await runCli('db', 'url', '--pgmq-sql-dir', pgmqDir)).toMatchObject({
      code: 0,
      stdout: up.stdout,
    });
    // Without the option it is another pgmq's cluster (the crate's, or TASKER_BRIDGE_PGMQ_SQL_DIR's): not running.
    expect((await runCli('db', 'url')).code).toBe(69);

    expect(await runCli('db', 'down', '--pgmq-sql-dir', pgmqDir)).toMatchObject({
      code: 0,
      stderr: 'stopped\n',
    });
    expect((await runCli('db', 'url', '--pgmq-sql-dir', pgmqDir)).code).toBe(69);
  });
});
