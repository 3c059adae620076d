// graphile-worker (pinned in test/bench/src/competitors.ts) processing N no-op jobs at concurrency C, default
// settings otherwise. Run with Node 22 from the bench cache (copied next to its node_modules).
// argv: <connectionString> <N> <C>. Prints one JSON line (`handled`: handler calls, which the bench checks = N).

import { Logger, makeWorkerUtils, run } from 'graphile-worker';
import pg from 'pg';

const [url, nArg, cArg] = process.argv.slice(2);
const N = Number(nArg);
const C = Number(cArg);
const quiet = new Logger(() => () => {});
const utils = await makeWorkerUtils({ connectionString: url, logger: quiet });
await utils.migrate();
let count = 0;
let resolveAll;
const all = new Promise((r) => {
  resolveAll = r;
});
const runner = await run({
  connectionString: url,
  concurrency: C,
  noHandleSignals: true,
  logger: quiet,
  taskList: {
    noop: async () => {
      count += 1;
      if (count === N) resolveAll();
    },
  },
});
await new Promise((r) => setTimeout(r, 500));
const specs = Array.from({ length: N }, () => ({ identifier: 'noop', payload: {} }));
const client = new pg.Client({ connectionString: url });
await client.connect();
const t0 = performance.now();
await utils.addJobs(specs); // one add_jobs call: every job visible at one commit (as our send_batch feed)
const tFed = performance.now();
await all;
// Completion is written after the handler resolves: wait until no job row is left.
for (;;) {
  const { rows } = await client.query('SELECT count(*)::int AS n FROM graphile_worker._private_jobs');
  if (rows[0].n === 0) break;
  await new Promise((r) => setTimeout(r, 5));
}
const t1 = performance.now();
await runner.stop();
await utils.release();
await client.end();
const seconds = (t1 - tFed) / 1000;
console.log(
  JSON.stringify({
    jobsPerSec: N / seconds,
    handled: count,
    seconds,
    enqueueSeconds: (tFed - t0) / 1000,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    settings: { concurrency: C },
  }),
);
