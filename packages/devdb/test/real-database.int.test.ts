import { TASKER_SESSION_OPTIONS } from '@tasker-bridge/worker/internal';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/db.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, options: TASKER_SESSION_OPTIONS, max: 4 });
  pool.on('error', () => {});
});

afterAll(async () => {
  await pool.end();
  await db.drop();
});

describe('the development database is the real thing', () => {
  it('runs PostgreSQL 18 with native uuidv7()', async () => {
    const { rows } = await pool.query<{ major: string; id: string }>(
      "SELECT current_setting('server_version_num')::int / 10000 AS major, uuidv7()::text AS id",
    );
    expect(Number(rows[0]!.major)).toBe(18);
    expect(rows[0]!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
  });

  it('has the pgmq extension this run asked for, with a working send/read/archive round trip', async () => {
    const ext = await pool.query("SELECT extversion FROM pg_extension WHERE extname = 'pgmq'");
    expect(ext.rows[0]?.extversion).toBe(inject('devdb').pgmqVersion);

    await pool.query("SELECT pgmq.create('devdb_roundtrip')");
    const sent = await pool.query<{ id: string }>(`SELECT * FROM pgmq.send($1::text, $2::jsonb) AS id`, [
      'devdb_roundtrip',
      JSON.stringify({ hello: 'world' }),
    ]);
    const msgId = sent.rows[0]!.id;
    const read = await pool.query('SELECT msg_id::text, message FROM pgmq.read($1::text, $2::int, $3::int)', [
      'devdb_roundtrip',
      30,
      10,
    ]);
    expect(read.rows).toEqual([{ msg_id: msgId, message: { hello: 'world' } }]);
    const archived = await pool.query('SELECT pgmq.archive($1::text, $2::bigint) AS ok', [
      'devdb_roundtrip',
      msgId,
    ]);
    expect(archived.rows[0]?.ok).toBe(true);
    const inArchive = await pool.query(
      'SELECT count(*)::int AS n FROM pgmq.a_devdb_roundtrip WHERE msg_id = $1',
      [msgId],
    );
    expect(inArchive.rows[0]?.n).toBe(1);
  });

  it('has the tasker schema tables and the functions the worker calls', async () => {
    const tables = await pool.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'tasker' AND table_type = 'BASE TABLE'",
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining([
        'task_namespaces',
        'named_tasks',
        'named_steps',
        'tasks',
        'workflow_steps',
        'workflow_step_edges',
        'workflow_step_transitions',
        'workflow_step_result_audit',
        'task_transitions',
        'tasks_dlq',
      ]),
    );
    const functions = await pool.query<{ proname: string }>(
      "SELECT proname FROM pg_proc WHERE pronamespace = 'tasker'::regnamespace",
    );
    expect(functions.rows.map((r) => r.proname)).toEqual(
      expect.arrayContaining([
        'pgmq_send_with_notify',
        'pgmq_read_specific_message',
        'get_step_transitive_dependencies',
        'get_step_readiness_status',
        'extract_queue_namespace',
      ]),
    );
  });

  it('records the migrations the way sqlx does', async () => {
    const { rows } = await pool.query<{ version: string }>(
      'SELECT version::text FROM public._sqlx_migrations WHERE success ORDER BY version',
    );
    expect(rows.length).toBeGreaterThanOrEqual(8);
    expect(rows[0]!.version).toBe('20250810140001');
  });

  it('delivers a NOTIFY with the message payload to a LISTENing client from tasker.pgmq_send_with_notify', async () => {
    await pool.query("SELECT pgmq.create('worker_devdb_queue')");
    const listener = new pg.Client({ connectionString: db.url, options: TASKER_SESSION_OPTIONS });
    await listener.connect();
    try {
      const notified = new Promise<pg.Notification>((resolve) => listener.on('notification', resolve));
      await listener.query('LISTEN "pgmq_message_ready.devdb"');
      const body = {
        task_uuid: '019a0000-0000-7000-8000-000000000001',
        step_uuid: '019a0000-0000-7000-8000-000000000002',
        correlation_id: '019a0000-0000-7000-8000-000000000003',
      };
      const sent = await pool.query<{ id: string }>(
        'SELECT tasker.pgmq_send_with_notify($1::text, $2::jsonb, $3::int)::text AS id',
        ['worker_devdb_queue', JSON.stringify(body), 0],
      );
      const notification = await notified;
      expect(notification.channel).toBe('pgmq_message_ready.devdb');
      const payload = JSON.parse(notification.payload ?? '{}');
      expect(payload).toMatchObject({
        event_type: 'message_with_payload',
        msg_id: Number(sent.rows[0]!.id),
        queue_name: 'worker_devdb_queue',
        namespace: 'devdb',
        message: body,
      });
    } finally {
      await listener.end();
    }
  });
});
