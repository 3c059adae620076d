// A real worker process for the chaos suite (test/chaos): killed with SIGKILL, stopped with SIGTERM.
// Runs the BUILT packages (dist, from `tsc -b packages/worker`, done by the chaos global setup), so plain node
// can run it. Configuration comes from the environment (see harness.ts `spawnWorker`); prints
// `CHAOS_READY <worker_uuid>` once started. Logs: pino JSON lines at CHAOS_LOG_LEVEL on stdout.
import { defineHandler, HandlerRegistry } from '@tasker-bridge/core';
import { installSignalHandlers, TaskerWorker } from '@tasker-bridge/worker';

// Dies with its parent: the parent holds the other end of stdin and never writes to it, so end-of-file means
// the parent is gone (even SIGKILLed: the OS closes the pipe), and nobody would ever stop this worker. Exit at
// once, as kill -9 would; leases hand its claims back. Set up before the worker starts, so it holds during startup too.
process.stdin.on('end', () => process.exit(1));
process.stdin.resume();

const env = process.env;
const minMs = Number(env.CHAOS_MIN_MS ?? '20');
const maxMs = Number(env.CHAOS_MAX_MS ?? '200');

/** The handler's work: a random delay that honours its signal (so a graceful stop can cancel it). */
function work(signal) {
  const ms = minMs + Math.random() * (maxMs - minMs);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve({ pid: process.pid, slept_ms: Math.round(ms) }), ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

const registry = new HandlerRegistry().register(
  'chaos.work',
  defineHandler('chaos.work', ({ signal }) => work(signal)),
);
const worker = new TaskerWorker({
  registry,
  databaseUrl: env.CHAOS_DB_URL,
  pgmqDatabaseUrl: env.CHAOS_PGMQ_DB_URL,
  templates: JSON.parse(env.CHAOS_TEMPLATES ?? '[]'),
  concurrency: Number(env.CHAOS_CONCURRENCY ?? '8'),
  pollIntervalMs: Number(env.CHAOS_POLL_MS ?? '100'),
  visibilityTimeoutSeconds: Number(env.CHAOS_VT ?? '2'),
  shutdownGraceMs: Number(env.CHAOS_GRACE_MS ?? '1000'),
  applicationName: env.CHAOS_APP_NAME ?? 'chaos-worker',
  env: { LOG_LEVEL: env.CHAOS_LOG_LEVEL ?? 'warn' },
});
installSignalHandlers(worker, { exit: (code) => process.exit(code) });
await worker.start();
process.stdout.write(`CHAOS_READY ${worker.workerUuid}\n`);
