import { TASKER_SESSION_OPTIONS } from '@tasker-bridge/worker/internal';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createSplitTestDatabases,
  createTestDatabase,
  type SplitTestDatabases,
} from '../../../test/support/db.js';

let split: SplitTestDatabases;
let tasker: pg.Pool;
let pgmq: pg.Pool;

function pool(url: string): pg.Pool {
  const p = new pg.Pool({ connectionString: url, options: TASKER_SESSION_OPTIONS, max: 2 });
  p.on('error', () => {});
  return p;
}

async function names(p: pg.Pool, sql: string): Promise<string[]> {
  return (await p.query<{ name: string }>(sql)).rows.map((r) => r.name);
}

async function recordedMigrations(p: pg.Pool): Promise<{ version: string; description: string }[]> {
  const { rows } = await p.query<{ version: string; description: string }>(
    'SELECT version::text, description FROM public._sqlx_migrations WHERE success ORDER BY version',
  );
  return rows;
}

const TASKER_FUNCTIONS =
  "SELECT proname AS name FROM pg_proc WHERE pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = 'tasker')";
const TASKER_TABLES =
  "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'tasker' AND table_type = 'BASE TABLE'";

beforeAll(async () => {
  split = await createSplitTestDatabases();
  tasker = pool(split.taskerUrl);
  pgmq = pool(split.pgmqUrl);
});

afterAll(async () => {
  await Promise.all([tasker?.end(), pgmq?.end()]);
  await split?.drop();
});

describe('split templates: tasker and pgmq in separate databases, as upstream migrates them', () => {
  it('the tasker database has the tasker schema and no pgmq at all', async () => {
    expect(await names(tasker, "SELECT nspname AS name FROM pg_namespace WHERE nspname = 'pgmq'")).toEqual(
      [],
    );
    expect(await names(tasker, "SELECT extname AS name FROM pg_extension WHERE extname = 'pgmq'")).toEqual(
      [],
    );
    expect(await names(tasker, TASKER_TABLES)).toEqual(
      expect.arrayContaining(['tasks', 'workflow_steps', 'workflow_step_transitions', 'task_transitions']),
    );
    const functions = await names(tasker, TASKER_FUNCTIONS);
    expect(functions).toEqual(
      expect.arrayContaining(['get_step_transitive_dependencies', 'get_step_readiness_status']),
    );
    expect(functions.filter((f) => f.startsWith('pgmq_'))).toEqual([]);
  });

  it('the pgmq database has the pgmq extension and the tasker.pgmq_* functions, and no tasker tables', async () => {
    const ext = await pgmq.query("SELECT extversion FROM pg_extension WHERE extname = 'pgmq'");
    expect(ext.rows[0]?.extversion).toBe(inject('devdb').pgmqVersion);
    expect(await names(pgmq, TASKER_FUNCTIONS)).toEqual(
      expect.arrayContaining([
        'pgmq_send_with_notify',
        'pgmq_send_batch_with_notify',
        'pgmq_read_specific_message',
        'pgmq_delete_specific_message',
        'pgmq_extend_vt_specific_message',
        'pgmq_ensure_headers_column',
      ]),
    );
    expect(await names(pgmq, TASKER_TABLES)).toEqual([]);

    await pgmq.query("SELECT pgmq.create('worker_split_queue')");
    const sent = await pgmq.query<{ id: string }>(
      'SELECT tasker.pgmq_send_with_notify($1::text, $2::jsonb, $3::int)::text AS id',
      ['worker_split_queue', JSON.stringify({ hello: 'split' }), 0],
    );
    const read = await pgmq.query('SELECT msg_id::text, message FROM pgmq.read($1::text, $2::int, $3::int)', [
      'worker_split_queue',
      30,
      1,
    ]);
    expect(read.rows).toEqual([{ msg_id: sent.rows[0]!.id, message: { hello: 'split' } }]);
  });

  it('records the pgmq migrations on the pgmq side and the others on the tasker side, together the full set', async () => {
    const onPgmq = await recordedMigrations(pgmq);
    const onTasker = await recordedMigrations(tasker);
    expect(onPgmq.length).toBeGreaterThan(0);
    expect(onPgmq.every((m) => m.description.includes('pgmq'))).toBe(true);
    expect(onTasker.some((m) => m.description.includes('pgmq'))).toBe(false);

    const single = await createTestDatabase();
    const singlePool = pool(single.url);
    try {
      const { rows: all } = await singlePool.query<{ version: string; checksum: string }>(
        "SELECT version::text, encode(checksum, 'hex') AS checksum FROM public._sqlx_migrations ORDER BY version",
      );
      const checksums = async (p: pg.Pool) =>
        (
          await p.query<{ version: string; checksum: string }>(
            "SELECT version::text, encode(checksum, 'hex') AS checksum FROM public._sqlx_migrations",
          )
        ).rows;
      const both = [...(await checksums(pgmq)), ...(await checksums(tasker))].sort((a, b) =>
        a.version.localeCompare(b.version),
      );
      expect(both).toEqual(all);
    } finally {
      await singlePool.end();
      await single.drop();
    }
  });
});
