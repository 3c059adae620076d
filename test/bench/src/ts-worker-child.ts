// Child process: our TaskerWorker (built package, `dist/`) with one no-op handler, on the bench database.
// Env: BENCH_DB_URL, BENCH_WORKER_MODULE (optional), BENCH_WORKER_OPTIONS (JSON TaskerWorkerOptions subset: concurrency, pollIntervalMs, ...).
// Prints `BENCH_HEALTH_PORT <port>` when it serves health (`healthAddress` in BENCH_WORKER_OPTIONS), then
// `BENCH_READY` once started; SIGTERM stops it gracefully. Logs (pino, info) go to stdout → a log file.
// BENCH_HEAP_AT_PEAK=1 (`--heap-at-peak`): samples its memory every 20 ms and, on SIGTERM, prints `BENCH_HEAP
// <json>`, the sample taken at its highest RSS (what the peak is made of: docs/performance.md §3.4).

import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
import { defineHandler, HandlerRegistry } from '@tasker-bridge/core';
import type { TaskTemplateInput } from '@tasker-bridge/schemas';
import type { TaskerWorker as TaskerWorkerClass } from '@tasker-bridge/worker';
import { HANDLER_NAME, templateObject } from './db.js';
import { statusMb } from './stats.js';

const registry = new HandlerRegistry().register(
  defineHandler(HANDLER_NAME, async () => ({ started_at_ms: performance.timeOrigin + performance.now() })),
);
// BENCH_WORKER_MODULE: another build of the worker package (e.g. with a patch from /tmp/bench-patches applied).
const { TaskerWorker } = (await import(process.env.BENCH_WORKER_MODULE || '@tasker-bridge/worker')) as {
  TaskerWorker: typeof TaskerWorkerClass;
};
const options = JSON.parse(process.env.BENCH_WORKER_OPTIONS ?? '{}') as Record<string, unknown>;
const worker = new TaskerWorker({
  registry,
  databaseUrl: process.env.BENCH_DB_URL as string,
  // Parsed YAML: the worker decodes it with serde's rules at start.
  templates: [(await templateObject()) as unknown as TaskTemplateInput],
  healthAddress: null,
  env: {},
  ...options,
});
await worker.start();
if (worker.healthAddress) process.stdout.write(`BENCH_HEALTH_PORT ${worker.healthAddress.port}\n`);
process.stdout.write('BENCH_READY\n');
const reportHeapAtPeak = process.env.BENCH_HEAP_AT_PEAK === '1' ? sampleHeapAtPeak() : () => {};
const stop = () => {
  reportHeapAtPeak();
  void worker.stop({ graceMs: 5_000 }).then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

/** Starts sampling; returns the function that prints the sample taken at the highest RSS. */
function sampleHeapAtPeak(): () => void {
  const mb = (bytes: number) => bytes / 1048576;
  let peak: Record<string, unknown> = { rss: 0 };
  let peakRss = 0;
  setInterval(() => {
    const usage = process.memoryUsage();
    if (usage.rss <= peakRss) return;
    peakRss = usage.rss;
    // The process's own memory, and the resident pages of the files it maps — mostly the `node` binary's code and
    // read-only data, shared by every process that runs the same binary.
    const status = readFileSync('/proc/self/status', 'utf8');
    peak = {
      rss: mb(usage.rss),
      rssAnon: statusMb(status, 'RssAnon'),
      rssFile: statusMb(status, 'RssFile'),
      heapTotal: mb(usage.heapTotal),
      heapUsed: mb(usage.heapUsed),
      external: mb(usage.external),
      spaces: Object.fromEntries(
        getHeapSpaceStatistics()
          .filter((space) => space.space_size > 0)
          .map((space) => [
            space.space_name,
            { size: mb(space.space_size), used: mb(space.space_used_size) },
          ]),
      ),
    };
  }, 20).unref();
  return () => process.stdout.write(`BENCH_HEAP ${JSON.stringify(peak)}\n`);
}
