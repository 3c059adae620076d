import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DevDbErrorCode,
  ensureTemplateDatabase,
  loadUpstreamArtifacts,
  PGMQ_CRATE_VERSION,
  PGMQ_SQL_DIR_ENV,
  type UpstreamArtifacts,
} from '@tasker-bridge/devdb';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

let crate: UpstreamArtifacts;
let scratch: string;

/** A pgmq SQL directory made of the crate's files, its control file announcing `version`. */
async function pgmqDir(name: string, version: string): Promise<string> {
  const dir = join(scratch, name);
  await mkdir(join(dir, 'sql'), { recursive: true });
  const control = await readFile(crate.pgmqControlFile, 'utf8');
  await writeFile(
    join(dir, 'pgmq.control'),
    control.replace(/default_version\s*=\s*'[^']+'/, `default_version = '${version}'`),
  );
  await copyFile(crate.pgmqSqlFile, join(dir, 'sql', 'pgmq.sql'));
  return dir;
}

beforeAll(async () => {
  crate = await loadUpstreamArtifacts({ env: {} });
  scratch = await mkdtemp(join(tmpdir(), 'tasker-bridge-pgmq-dir-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('pgmq from a directory', () => {
  it('takes the version from the control file, from the option first, then the environment', async () => {
    expect(crate.pgmqSource).toEqual({ kind: 'crate', crateVersion: PGMQ_CRATE_VERSION });
    const fromEnv = await pgmqDir('env', '1.5.1');
    const fromOption = await pgmqDir('option', '1.6.0');

    const viaEnv = await loadUpstreamArtifacts({ env: { [PGMQ_SQL_DIR_ENV]: fromEnv } });
    expect(viaEnv).toMatchObject({
      pgmqVersion: '1.5.1',
      pgmqSource: { kind: 'directory', dir: fromEnv },
      pgmqControlFile: join(fromEnv, 'pgmq.control'),
      pgmqSqlFile: join(fromEnv, 'sql', 'pgmq.sql'),
      migrationFiles: crate.migrationFiles,
    });
    const viaOption = await loadUpstreamArtifacts({
      pgmqSqlDir: fromOption,
      env: { [PGMQ_SQL_DIR_ENV]: fromEnv },
    });
    expect(viaOption.pgmqVersion).toBe('1.6.0');
  });

  it('refuses a directory without pgmq.control or sql/pgmq.sql', async () => {
    const empty = join(scratch, 'empty');
    await mkdir(empty);
    await expect(loadUpstreamArtifacts({ pgmqSqlDir: empty })).rejects.toMatchObject({
      code: DevDbErrorCode.PgmqSqlDirInvalid,
    });
  });

  it('never names a template after a pgmq the server did not install', async () => {
    const { adminUrl, pgmqVersion } = inject('devdb');
    const other = await loadUpstreamArtifacts({ pgmqSqlDir: await pgmqDir('other', '9.9.9') });
    expect(other.pgmqVersion).not.toBe(pgmqVersion);
    await expect(ensureTemplateDatabase(adminUrl, other)).rejects.toMatchObject({
      code: DevDbErrorCode.PgmqVersionMismatch,
    });
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      const left = await admin.query(
        "SELECT datname FROM pg_database WHERE datname LIKE 'tasker_template_%' AND datname LIKE '%_building'",
      );
      expect(left.rows).toEqual([]);
    } finally {
      await admin.end();
    }
  });
});
