import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TASKER_SESSION_OPTIONS } from '@tasker-bridge/worker/internal';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { freeLoopbackPort, parentDeathCommand } from '../fleet/support/processes.js';
import { baseEnv, writeMergedConfig } from '../fleet/support/upstream-processes.js';
import { createTestDatabase } from '../support/db.js';
import { printFigures, until, type WorkerCommand, workerCommand } from './support/harness.js';

/**
 * A chaos worker process never outlives the process that started it, however that one ends: here its parent is
 * SIGKILLed (no exit handler, no afterAll runs), as a test process killed by a timeout or a crash would be. The
 * parent is a small stand-in (support/parent-of-worker.mjs) starting the worker from the harness's own
 * `workerCommand`; the worker must be gone, and its database connections with it, within a deadline. The same for
 * upstream's `tasker-server`, started as the fleet support starts it (`parentDeathCommand`).
 */

const PARENT = join(dirname(fileURLToPath(import.meta.url)), 'support', 'parent-of-worker.mjs');
const APP = 'chaos-orphan';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;
let parent: ChildProcess | undefined;
let workerPid: number | undefined;
let serverParent: ChildProcess | undefined;
let serverPid: number | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, options: TASKER_SESSION_OPTIONS, max: 1 });
  pool.on('error', () => {});
});
afterAll(async () => {
  parent?.kill('SIGKILL');
  serverParent?.kill('SIGKILL');
  // This file's own failure must not leave the worker or the server behind either.
  for (const pid of [workerPid, serverPid]) {
    if (pid !== undefined && (await isRunning(pid))) process.kill(pid, 'SIGKILL');
  }
  await pool?.end();
  await db?.drop();
});

/**
 * Whether `pid` is a running process. Signal 0 also reaches a zombie (exited, not yet reaped by init, its parent
 * now), which runs nothing: /proc tells them apart where it exists.
 */
async function isRunning(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

async function connections(): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE $1',
    [`${APP}%`],
  );
  return rows[0]?.n ?? 0;
}

/** The worker's pid (the parent's `CHILD_PID` line), once the worker has printed `CHAOS_READY`. */
function workerReady(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`worker not ready within 30 s:\n${out}\n${err}`)),
      30_000,
    );
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString('utf8');
    });
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      const pid = /^CHILD_PID (\d+)$/m.exec(out);
      if (pid) workerPid = Number(pid[1]);
      if (pid && /^CHAOS_READY \S+$/m.test(out)) {
        clearTimeout(timer);
        resolve(Number(pid[1]));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(`parent exited (code ${code}, signal ${signal}) before its worker was ready:\n${err}`),
      );
    });
  });
}

it('a worker process exits when the process that started it is SIGKILLed, and its connections close', async () => {
  const command = workerCommand({ databaseUrl: db.url, applicationName: APP });
  const started = spawn(process.execPath, [PARENT, JSON.stringify(command)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  parent = started;
  const parentExited = new Promise<void>((resolve) => started.once('exit', () => resolve()));
  const pid = await workerReady(started);
  expect(await isRunning(pid)).toBe(true);
  await until(async () => (await connections()) > 0, { what: 'the worker connected' });

  started.kill('SIGKILL');
  await parentExited;
  const killedAt = Date.now();
  await until(async () => !(await isRunning(pid)), {
    timeoutMs: 10_000,
    intervalMs: 20,
    what: `worker ${pid} gone after its parent was SIGKILLed`,
  });
  const goneMs = Date.now() - killedAt;
  await until(async () => (await connections()) === 0, {
    timeoutMs: 10_000,
    what: "the worker's database connections closed",
  });
  printFigures('orphan', { worker_gone_after_parent_kill_ms: goneMs });
});

it("upstream's tasker-server exits when the process that started it is SIGKILLed", async () => {
  const port = await freeLoopbackPort();
  const dir = await mkdtemp(join(tmpdir(), 'orphan-server-'));
  const env = baseEnv(db.url, await writeMergedConfig('orchestration', dir), port);
  const [program, args] = parentDeathCommand(inject('fleet').serverBinary, []);
  const command: WorkerCommand = {
    command: program,
    args: [...args],
    env: env as Record<string, string>,
    stdio: ['pipe', 'pipe', 'pipe'],
  };
  // The stand-in adds its own environment; the server must see only the fleet's (baseEnv), so it is cleared.
  const started = spawn(process.execPath, [PARENT, JSON.stringify(command)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: dir,
    env: { PATH: process.env.PATH },
  });
  serverParent = started;
  const parentExited = new Promise<void>((resolve) => started.once('exit', () => resolve()));
  let out = '';
  started.stdout?.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  const pid = await until(async () => Number(/^CHILD_PID (\d+)$/m.exec(out)?.[1] ?? 0) || null, {
    what: 'the server started',
  });
  serverPid = pid;
  await until(
    async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.status === 200,
    { timeoutMs: 60_000, what: 'the server healthy' },
  );

  started.kill('SIGKILL');
  await parentExited;
  const killedAt = Date.now();
  await until(async () => !(await isRunning(pid)), {
    timeoutMs: 10_000,
    intervalMs: 20,
    what: `tasker-server ${pid} gone after its parent was SIGKILLed`,
  });
  printFigures('orphan-server', { server_gone_after_parent_kill_ms: Date.now() - killedAt });
  await rm(dir, { recursive: true, force: true });
});
