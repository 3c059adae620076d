// pg-boss (pinned in test/bench/src/competitors.ts) processing N no-op jobs with localConcurrency C, batchSize 10,
// burstWhenBatchFull, pollingIntervalSeconds 0.5 (its minimum). With batchSize 1 (the default) a pg-boss worker
// sleeps pollingInterval after every fetch: 20 jobs/s at C=10 (docs/performance.md §2.4), so a batch is needed to finish
// 20,000 jobs at all; a batch is completed in one statement (not per job). Node 22 from the bench cache.
// argv: <connectionString> <N> <C>. Prints one JSON line (`handled`: jobs handed to the handler, checked = N).
import pg from 'pg';
import { PgBoss } from 'pg-boss';

const [url, nArg, cArg] = process.argv.slice(2);
const N = Number(nArg);
const C = Number(cArg);
const boss = new PgBoss({ connectionString: url, max: C + 4 });
boss.on('error', () => {});
await boss.start();
await boss.createQueue('noop');
const t0 = performance.now();
for (let i = 0; i < N; i += 1000) {
  await boss.insert(
    'noop',
    Array.from({ length: Math.min(1000, N - i) }, () => ({ data: {} })),
  );
}
const tFed = performance.now();
let count = 0;
let resolveAll;
const all = new Promise((r) => {
  resolveAll = r;
});
await boss.work(
  'noop',
  { localConcurrency: C, batchSize: 10, burstWhenBatchFull: true, pollingIntervalSeconds: 0.5 },
  async (jobs) => {
    count += jobs.length;
    if (count >= N) resolveAll();
  },
);
await all;
const client = new pg.Client({ connectionString: url });
await client.connect();
for (;;) {
  const { rows } = await client.query(
    "SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'noop' AND state <> 'completed'",
  );
  if (rows[0].n === 0) break;
  await new Promise((r) => setTimeout(r, 5));
}
const t1 = performance.now();
await client.end();
await boss.stop({ graceful: false, wait: true }).catch(() => {});
const seconds = (t1 - tFed) / 1000;
console.log(
  JSON.stringify({
    jobsPerSec: N / seconds,
    handled: count,
    seconds,
    enqueueSeconds: (tFed - t0) / 1000,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    settings: { localConcurrency: C, batchSize: 10, burstWhenBatchFull: true, pollingIntervalSeconds: 0.5 },
  }),
);
process.exit(0);
