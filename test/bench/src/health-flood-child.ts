// Child process of the `ours-flood` contender: sends BENCH_FLOOD_REQUESTS × `GET /health/ready` to the worker's
// health port, BENCH_FLOOD_IN_FLIGHT at a time on keep-alive connections (as a load balancer or a scraper gone wild
// would; a thousand fresh connections at once would mostly measure the kernel's listen backlog). A process of its
// own, so that the bench's result watcher, which timestamps the run's end, shares no event loop with the flood.
// Prints `BENCH_FLOOD {json}`: how many answered 200, what the others got, how long it took.
//
// BENCH_FLOOD_PORT=0 (the `ours-flood-control` contender): the same flood against a trivial server in this process
// answering a readiness-sized JSON body, so the box carries the same HTTP traffic while the worker serves none of it.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const CONTROL_BODY = JSON.stringify({ status: 'healthy', padding: 'x'.repeat(600) });
const control =
  process.env.BENCH_FLOOD_PORT === '0'
    ? createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(CONTROL_BODY);
      })
    : undefined;
if (control) await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
const port = control ? (control.address() as AddressInfo).port : Number(process.env.BENCH_FLOOD_PORT);
const requests = Number(process.env.BENCH_FLOOD_REQUESTS);
const inFlight = Number(process.env.BENCH_FLOOD_IN_FLIGHT);

const started = performance.now();
const others = new Map<string, number>();
let ok = 0;
let next = 0;
async function probe(): Promise<void> {
  while (next < requests) {
    next += 1;
    let answer: string;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
      const body = await res.text();
      answer = res.status === 200 ? 'ok' : `${res.status} ${body.slice(0, 300)}`;
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      answer = `no answer: ${cause?.code ?? (error as Error).message}`;
    }
    if (answer === 'ok') ok += 1;
    else others.set(answer, (others.get(answer) ?? 0) + 1);
  }
}
await Promise.all(Array.from({ length: inFlight }, probe));
const result = {
  requests,
  ok,
  seconds: (performance.now() - started) / 1000,
  ...(others.size > 0 ? { others: Object.fromEntries(others) } : {}),
};
process.stdout.write(`BENCH_FLOOD ${JSON.stringify(result)}\n`);
control?.close();
