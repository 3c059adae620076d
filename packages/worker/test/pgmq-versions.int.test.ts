import { HandlerRegistry } from '@tasker-bridge/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/db.js';
import { ConfigError, PgmqVersionError, TaskerWorker } from '../src/index.js';
import { statements, TASKER_SESSION_OPTIONS } from '../src/internal.js';
import { LeaseKeeper } from '../src/lease.js';
import { parsePgmqVersion, pgmqInfo } from '../src/pgmq-version.js';
import { createQueue } from '../src/queue-creation.js';
import { queueNotificationChannel } from '../src/queues.js';
import { eventually, recordingLogger, template } from './fixtures/protocol-rows.js';

/**
 * The worker on the pgmq this run's cluster installs (docs/protocol.md §8): the crate's newest by default, 1.5.1
 * (or any version) with `TASKER_BRIDGE_PGMQ_SQL_DIR`. Each assertion that differs between versions says which
 * behaviour it expects where.
 */

const PGMQ_VERSION = inject('devdb').pgmqVersion;
const pgmq = pgmqInfo(PGMQ_VERSION);
const [major, minor] = parsePgmqVersion(PGMQ_VERSION) as [number, number, number];
/** pgmq ≥ 1.6.0 serialises `pgmq.create` of one queue itself (§8.3). */
const createLocks = major > 1 || minor >= 6;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;
const logger = recordingLogger();

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, options: TASKER_SESSION_OPTIONS, max: 12 });
  pool.on('error', () => {});
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const sqlError = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: { code?: string; message: string }) => error,
  );

async function queueCount(queue: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM pgmq.meta WHERE queue_name = $1::text',
    [queue],
  );
  return rows[0]!.n;
}

describe(`pgmq ${PGMQ_VERSION}: every statement the worker issues`, () => {
  it('prepares: each function and overload it names exists (the array set_vt only from pgmq 1.8.0)', async () => {
    const client = await pool.connect();
    try {
      // The per-queue lease-and-claim statements name the queue's table: one for a queue that exists.
      await client.query("SELECT pgmq.create('statements_check_queue')");
      const all: { name: string; text: string }[] = [
        ...Object.values(statements).filter((s) => typeof s === 'object'),
        ...Object.values(statements.leaseAndClaimStatements('statements_check_queue', pgmq)),
      ];
      expect(all.length).toBeGreaterThan(10);
      const failed: string[] = [];
      for (const [i, s] of all.entries()) {
        // PREPARE parses, resolves every function by its argument types and plans, without running anything.
        const error = await sqlError(client.query(`PREPARE check_${i} AS ${s.text}`));
        if (error !== null) failed.push(`${s.name}: ${error.code} ${error.message}`);
      }
      await client.query('DEALLOCATE ALL');
      if (pgmq.setVtArray) {
        expect(failed).toEqual([]);
      } else {
        expect(failed).toEqual([
          expect.stringMatching(
            /^extend_leases: 42883 function pgmq\.set_vt\(text, bigint\[\], integer\) does not exist/,
          ),
        ]);
      }
    } finally {
      client.release();
    }
  });

  it('the worker reads the extension version once at start and keeps it', async () => {
    const worker = new TaskerWorker({
      registry: new HandlerRegistry(),
      databaseUrl: db.url,
      logger: recordingLogger(),
      deploymentMode: 'polling_only',
      pollIntervalMs: 60_000,
      // Test mode: templates whose other steps have no handler here start with a warning.
      env: { TASKER_ENV: 'test' },
      templates: [template('pgmq_ver', 'flow', [{ name: 'a' }])],
    });
    expect(worker.pgmqVersion).toBeNull();
    await worker.start();
    try {
      expect(worker.pgmqVersion).toBe(PGMQ_VERSION);
    } finally {
      await worker.stop();
    }
  });
});

describe(`pgmq ${PGMQ_VERSION}: lease heartbeats`, () => {
  it(`renew every held lease of a queue in one round trip (${pgmq.setVtArray ? 'array set_vt' : 'set_vt per message'}); an archived message is reported lost`, async () => {
    const queue = 'hb_queue';
    await createQueue(pool, queue, logger);
    const { rows: sent } = await pool.query<{ id: string }>(
      `SELECT pgmq.send($1::text, jsonb_build_object('n', n))::text AS id FROM generate_series(1, 3) n`,
      [queue],
    );
    // The messages are read (leased) for 1 s; the keeper renews them for 30 s.
    await pool.query('SELECT * FROM pgmq.read($1::text, 1, 3)', [queue]);
    let roundTrips = 0;
    const counting = {
      query: ((...args: Parameters<pg.Pool['query']>) => {
        roundTrips += 1;
        return pool.query(...args);
      }) as pg.Pool['query'],
    };
    const keeper = new LeaseKeeper({
      db: counting,
      visibilityTimeoutSeconds: 30,
      setVtArray: pgmq.setVtArray,
      logger,
    });
    const ids = sent.map((r) => r.id);
    const lost: string[] = [];
    for (const id of ids) keeper.hold(queue, id, () => lost.push(id));
    await pool.query('SELECT pgmq.archive($1::text, $2::bigint)', [queue, ids[2]]);

    await keeper.beat();
    expect(roundTrips).toBe(1);
    expect(lost).toEqual([ids[2]]);
    const { rows: leased } = await pool.query<{ id: string; secs: number }>(
      `SELECT msg_id::text AS id, EXTRACT(EPOCH FROM vt - clock_timestamp())::float8 AS secs
         FROM pgmq.q_hb_queue ORDER BY msg_id`,
    );
    expect(leased.map((r) => r.id)).toEqual(ids.slice(0, 2));
    for (const r of leased) expect(r.secs).toBeGreaterThan(25);
  });

  it('the per-message form returns exactly the ids still queued, as the array form does', async () => {
    const queue = 'hb_each_queue';
    await createQueue(pool, queue, logger);
    const { rows: sent } = await pool.query<{ id: string }>(
      `SELECT pgmq.send($1::text, '{}'::jsonb)::text AS id FROM generate_series(1, 2)`,
      [queue],
    );
    const ids = [...sent.map((r) => r.id), '999999'];
    const each = await pool.query<{ msg_id: string }>(statements.EXTEND_LEASES_EACH.text, [queue, ids, 10]);
    expect(each.rows.map((r) => r.msg_id).sort()).toEqual(ids.slice(0, 2).sort());
    if (pgmq.setVtArray) {
      const array = await pool.query<{ msg_id: string }>(statements.EXTEND_LEASES.text, [queue, ids, 10]);
      expect(array.rows.map((r) => r.msg_id).sort()).toEqual(ids.slice(0, 2).sort());
    }
  });
});

describe(`pgmq ${PGMQ_VERSION}: the lease taken inside the claim statement (tasker and pgmq in one database)`, () => {
  it(`changes messages as pgmq.read does: read_ct + 1, vt = now + vt, ${pgmq.lastReadAt ? 'last_read_at set' : 'no last_read_at column before 1.10'}; the next visible ones in msg_id order, or visible ones by id`, async () => {
    const queue = 'lease_read_queue';
    await createQueue(pool, queue, logger);
    const { rows: sent } = await pool.query<{ id: string }>(
      `SELECT pgmq.send($1::text, jsonb_build_object('n', n))::text AS id FROM generate_series(1, 5) n`,
      [queue],
    );
    const ids = sent.map((r) => r.id);
    const lease = statements.leaseAndClaimStatements(queue, pgmq);
    const tail = [30, '{"event":"{}"}', '2026-01-01 00:00:00', ['lease_read']];
    // pgmq's own read takes the first message: the reference.
    await pool.query('SELECT * FROM pgmq.read($1::text, 30, 1)', [queue]);
    const next = await pool.query<{ msg_id: string; ids_valid: boolean; task_found: boolean }>(
      lease.next.text,
      [2, ...tail],
    );
    // The next two VISIBLE messages; their bodies are no StepMessages, so nothing was looked up or claimed.
    expect(next.rows).toMatchObject([
      { msg_id: ids[1], ids_valid: false, task_found: false },
      { msg_id: ids[2], ids_valid: false, task_found: false },
    ]);
    // By id: the invisible first message is skipped, the fifth leased; the fourth is not touched.
    const byIds = await pool.query<{ msg_id: string }>(lease.byIds.text, [[ids[0], ids[4]], ...tail]);
    expect(byIds.rows.map((r) => r.msg_id)).toEqual([ids[4]]);
    const { rows: after } = await pool.query<{ read_ct: number; secs: number; read_at: boolean | null }>(
      `SELECT read_ct, EXTRACT(EPOCH FROM vt - clock_timestamp())::float8 AS secs,
              ${pgmq.lastReadAt ? 'last_read_at IS NOT NULL' : 'NULL::boolean'} AS read_at
         FROM pgmq.q_lease_read_queue ORDER BY msg_id`,
    );
    const { rows: columns } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM information_schema.columns
        WHERE table_schema = 'pgmq' AND table_name = 'q_lease_read_queue' AND column_name = 'last_read_at'`,
    );
    expect(columns[0]!.n).toBe(pgmq.lastReadAt ? 1 : 0);
    const leased = after.filter((_, i) => i !== 3);
    for (const row of leased) {
      expect(row).toMatchObject({ read_ct: 1, read_at: pgmq.lastReadAt ? true : null });
      expect(row.secs).toBeGreaterThan(25);
    }
    expect(after[3]).toMatchObject({ read_ct: 0, read_at: pgmq.lastReadAt ? false : null });
  });
});

describe(`pgmq ${PGMQ_VERSION}: queue creation by concurrent starters`, () => {
  it('8 starters creating the same queues at once all succeed, each queue exists once', async () => {
    const queues = ['race_a_queue', 'race_b_queue', 'race_c_queue'];
    const starters = Array.from({ length: 8 }, async () => {
      const client = await pool.connect();
      try {
        for (const q of queues) await createQueue(client, q, logger);
      } finally {
        client.release();
      }
    });
    const outcomes = await Promise.allSettled(starters);
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    for (const q of queues) expect(await queueCount(q)).toBe(1);
  });

  /**
   * A peer that takes no lock (a Rust worker on pgmq 1.5) creates the queue in a transaction still open while we
   * create it too: on pgmq < 1.6 our `pgmq.create` waits on the peer's uncommitted catalog rows, then fails with a
   * duplicate error when the peer commits — a lost race, which is success; on ≥ 1.6 pgmq's own lock serialises
   * the two.
   */
  async function againstOpenPeer(queue: string, create: () => Promise<unknown>) {
    const peer = new pg.Client({ connectionString: db.url, options: TASKER_SESSION_OPTIONS });
    await peer.connect();
    try {
      await peer.query('BEGIN');
      await peer.query('SELECT pgmq.create($1::text)', [queue]);
      const ours = sqlError(create());
      await eventually(
        async () => {
          const { rows } = await pool.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%pgmq.create%'`,
          );
          return rows[0]!.n === 1;
        },
        { what: 'our create waiting on the peer' },
      );
      await peer.query('COMMIT');
      return await ours;
    } finally {
      await peer.end();
    }
  }

  it(`a race lost to a creator that takes no lock is success, the queue exists (pgmq ${PGMQ_VERSION}: ${createLocks ? 'serialised by pgmq' : 'pgmq fails the loser'})`, async () => {
    // What pgmq itself does: the bare call fails before 1.6.0.
    const bare = await againstOpenPeer('lost_bare_queue', () =>
      pool.query("SELECT pgmq.create('lost_bare_queue')"),
    );
    if (createLocks) {
      expect(bare).toBeNull();
    } else {
      expect(['23505', '42P07', '42710']).toContain(bare?.code);
    }
    // Ours: no error on any version.
    const ours = await againstOpenPeer('lost_ours_queue', () => createQueue(pool, 'lost_ours_queue', logger));
    expect(ours).toBeNull();
    expect(await queueCount('lost_ours_queue')).toBe(1);
  });

  it('6 workers of one namespace starting at once all start', async () => {
    const workers = Array.from(
      { length: 6 },
      () =>
        new TaskerWorker({
          registry: new HandlerRegistry(),
          databaseUrl: db.url,
          logger: recordingLogger(),
          deploymentMode: 'polling_only',
          pollIntervalMs: 60_000,
          poolSize: 2,
          // Test mode: templates whose other steps have no handler here start with a warning.
          env: { TASKER_ENV: 'test' },
          templates: [template('crowd', 'flow', [{ name: 'a' }])],
        }),
    );
    try {
      const outcomes = await Promise.allSettled(workers.map((w) => w.start()));
      expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
      for (const q of ['worker_crowd_queue', 'crowd_domain_events', 'crowd_domain_events_dlq']) {
        expect(await queueCount(q)).toBe(1);
      }
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
  });
});

describe(`pgmq ${PGMQ_VERSION}: what start() refuses`, () => {
  const workerOn = (url: string) =>
    new TaskerWorker({
      registry: new HandlerRegistry(),
      databaseUrl: url,
      logger: recordingLogger(),
      // Test mode: templates whose other steps have no handler here start with a warning.
      env: { TASKER_ENV: 'test' },
      templates: [template('refused', 'flow', [{ name: 'a' }])],
    });

  it('a pgmq older than 1.5: PgmqVersionError naming the version found and the minimum', async () => {
    // A database of its own whose catalogue says pgmq 1.4.5 (an old install, as far as the worker can tell).
    const old = await createTestDatabase();
    try {
      const client = new pg.Client({ connectionString: old.url });
      await client.connect();
      await client.query("UPDATE pg_extension SET extversion = '1.4.5' WHERE extname = 'pgmq'");
      await client.end();
      const error = await sqlError(workerOn(old.url).start());
      expect(error).toBeInstanceOf(PgmqVersionError);
      expect(error).toMatchObject({ code: 'pgmq_version_unsupported', found: '1.4.5', minimum: '1.5.0' });
    } finally {
      await old.drop();
    }
  });

  it('no pgmq extension: a ConfigError naming the database setting', async () => {
    const bare = await createTestDatabase();
    try {
      const client = new pg.Client({ connectionString: bare.url });
      await client.connect();
      await client.query('DROP EXTENSION pgmq CASCADE');
      await client.end();
      const error = await sqlError(workerOn(bare.url).start());
      expect(error).toBeInstanceOf(ConfigError);
      expect(error).toMatchObject({ setting: 'databaseUrl (DATABASE_URL)' });
      expect(error?.message).toMatch(/without the pgmq extension \(no 'pgmq' row in pg_extension/);
    } finally {
      await bare.drop();
    }
  });
});

it('the channel mirror matches tasker.extract_queue_namespace for every kind of queue name', async () => {
  const names = [
    'worker_payments_queue',
    'worker_Pay_ments_queue',
    'worker__queue',
    'worker_a_queue_queue',
    'acme_billing_queue',
    'orchestration_step_results',
    'orchestrationx',
    'custom_results',
    '_x_queue',
    'payments_domain_events',
  ];
  const { rows } = await pool.query<{ name: string; ns: string }>(
    'SELECT name, tasker.extract_queue_namespace(name) AS ns FROM unnest($1::text[]) AS name',
    [names],
  );
  expect(rows.map((r) => queueNotificationChannel(r.name))).toEqual(
    rows.map((r) => `pgmq_message_ready.${r.ns}`),
  );
});
