// The repository README's first example, run as written against the real tasker-server 0.1.8: a TypeScript
// service that serves a template's steps with @tasker-bridge/worker and starts the workflow with
// @tasker-bridge/client. Its text is readme/order-service.ts (and its template readme/templates/…), checked here
// to be the README's code blocks. With an OpenTelemetry SDK registered (the in-memory exporter), the create call
// and both steps form one trace: the trace context crosses upstream's REST API, the task row's tags and the
// worker's hydration.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { TaskerClient } from '@tasker-bridge/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type InMemoryTracing, installInMemoryTracing, parentSpanId } from '../support/otel.js';
import { codeBlocks } from '../support/readme-blocks.js';
import { withClient } from './support/db-inspect.js';
import { decodeErrors, type Fleet, startFleet } from './support/fleet.js';
import { FLEET_DIR, REPO_ROOT } from './support/paths.js';

const EXAMPLE_DIR = join(FLEET_DIR, 'readme');

/** The README's fenced code blocks of one language, in order. */
async function readmeBlocks(language: string): Promise<string[]> {
  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  return codeBlocks(readme)
    .filter((block) => block.language === language)
    .map((block) => block.code);
}

describe('the README example against tasker-server 0.1.8', () => {
  let fleet: Fleet;
  let tracing: InMemoryTracing;
  const printed: unknown[][] = [];
  const saved = { ...process.env };

  beforeAll(async () => {
    fleet = await startFleet('readme');
    tracing = installInMemoryTracing();
    process.env.DATABASE_URL = fleet.db.url;
    process.env.TASKER_TEMPLATE_PATH = join(EXAMPLE_DIR, 'templates');
    process.env.TASKER_URL = fleet.server.baseUrl;
    process.env.LOG_LEVEL = 'warn';
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      printed.push(args);
    });
    try {
      await import('./readme/order-service.js'); // runs the service: start, create, wait, print, stop
    } finally {
      log.mockRestore();
    }
  });

  afterAll(async () => {
    process.env = saved;
    await tracing?.uninstall();
    await fleet?.stop();
  });

  it('is the code the README shows first', async () => {
    const [service] = await readmeBlocks('ts');
    expect(service).toBe(await readFile(join(EXAMPLE_DIR, 'order-service.ts'), 'utf8'));
    const [template] = await readmeBlocks('yaml');
    expect(template).toBe(
      await readFile(join(EXAMPLE_DIR, 'templates', 'orders', 'fulfil_order.yaml'), 'utf8'),
    );
  });

  it('runs the workflow to completion through the real server', async () => {
    expect(printed).toEqual([['complete', ['reserve_stock: complete', 'send_confirmation: complete']]]);
    const client = new TaskerClient({ baseUrl: fleet.server.baseUrl, tracing: false });
    const [listed] = (await client.listTasks({ namespace: 'orders' })).tasks;
    const task = await client.getTask(listed?.task_uuid ?? '');
    expect(task.status).toBe('complete');
    const results = await withClient(fleet.db.url, async (db) => {
      const res = await db.query<{ name: string; results: { result: unknown } }>(
        `SELECT ns.name, ws.results FROM tasker.workflow_steps ws
           JOIN tasker.named_steps ns ON ns.named_step_uuid = ws.named_step_uuid
          WHERE ws.task_uuid = $1 ORDER BY ns.name`,
        [task.task_uuid],
      );
      return res.rows;
    });
    const orderId = (task.context as { order_id: string }).order_id;
    expect(results.map((r) => [r.name, r.results.result])).toEqual([
      ['reserve_stock', { reservation: `R-${orderId}`, items: 3 }],
      ['send_confirmation', { confirmed: orderId, reservation: `R-${orderId}` }],
    ]);
  });

  it('makes one trace from the create call to every step, through the server', async () => {
    const one = (name: string): ReadableSpan => {
      const spans = tracing.named(name);
      expect(spans, name).toHaveLength(1);
      return spans[0] as ReadableSpan;
    };
    const create = one('tasker.create_task');
    const steps = [one('tasker.step orders.reserve_stock'), one('tasker.step orders.send_confirmation')];
    const traceId = create.spanContext().traceId;
    const taskUuid = create.attributes.task_uuid;
    for (const step of steps) {
      expect(step.spanContext().traceId).toBe(traceId);
      expect(parentSpanId(step)).toBe(create.spanContext().spanId);
      expect(step.attributes).toMatchObject({
        namespace: 'orders',
        task_uuid: taskUuid,
        correlation_id: create.attributes.correlation_id,
        attempt: 1,
        outcome: 'success',
        report: 'completed',
      });
    }
    // The wait (a root of its own: the example starts no parent span) polled the server under its span.
    const wait = one('tasker.wait_for_task');
    const polls = tracing.named('tasker.get_task');
    expect(polls.length).toBeGreaterThan(0);
    expect(polls.map(parentSpanId)).toEqual(polls.map(() => wait.spanContext().spanId));
  });

  it('leaves no decode error in the server log', async () => {
    expect(decodeErrors(await fleet.server.process.log())).toEqual([]);
  });
});
