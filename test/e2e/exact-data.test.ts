// Exact data end to end: integers JS numbers cannot hold and a `__proto__` key travel from the task context
// through two steps (a handler reads them, returns them; its dependent reads them from the dependency result and
// returns them) and are stored exactly as Rust's serde_json would store them.
import { defineHandler, HandlerRegistry, noopLogger } from '@tasker-bridge/core';
import { DevOrchestrator } from '@tasker-bridge/dev-orchestrator';
import { parseJsonText } from '@tasker-bridge/schemas';
import { TaskerWorker } from '@tasker-bridge/worker';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/db.js';

const NAMESPACE = 'exact_data_e2e';
const TEMPLATE = {
  name: 'exact_data',
  namespace_name: NAMESPACE,
  version: '1.0.0',
  steps: [
    { name: 'read_context', handler: { callable: 'exact.read_context' } },
    { name: 'read_dependency', depends_on: ['read_context'], handler: { callable: 'exact.read_dependency' } },
  ],
};

/** Steps named after `Object.prototype` members: lookups by step name must find these and nothing inherited. */
const PROTOTYPE_NAMES = {
  name: 'prototype_names',
  namespace_name: NAMESPACE,
  version: '1.0.0',
  steps: [
    { name: '__proto__', handler: { callable: 'exact.proto_step' } },
    { name: 'constructor', depends_on: ['__proto__'], handler: { callable: 'exact.constructor_step' } },
  ],
};

// Text, as a Rust client would send it: a `__proto__` literal in code would set the prototype instead.
const CONTEXT_TEXT =
  '{"id":9007199254740993,"max":18446744073709551615,"min":-9223372036854775808,"safe":42,"ratio":0.5,' +
  '"constructor":"data","__proto__":{"id":9007199254740993,"nested":[{"max":18446744073709551615}]}}';

interface Seen {
  step: string;
  types: Record<string, string>;
  proto: unknown;
  constructorValue: unknown;
}

/** typeof of every field the test checks (`__proto__` read as the own data property it must be). */
function typesOf(data: Record<string, unknown>): Record<string, string> {
  const proto = Object.getOwnPropertyDescriptor(data, '__proto__')?.value as
    | { id?: unknown; nested?: { max?: unknown }[] }
    | undefined;
  return {
    id: typeof data.id,
    max: typeof data.max,
    min: typeof data.min,
    safe: typeof data.safe,
    ratio: typeof data.ratio,
    proto_id: typeof proto?.id,
    proto_nested_max: typeof proto?.nested?.[0]?.max,
  };
}

let drop: (() => Promise<void>) | undefined;
let url: string;
let worker: TaskerWorker | undefined;
let orchestrator: DevOrchestrator | undefined;
const seen: Seen[] = [];

beforeAll(async () => {
  const db = await createTestDatabase();
  drop = db.drop;
  url = db.url;
  const registry = new HandlerRegistry()
    .register(
      'exact.read_context',
      defineHandler('exact.read_context', ({ context, input }) => {
        seen.push({
          step: context.stepName,
          types: typesOf(input),
          proto: context.getInput('__proto__'),
          constructorValue: context.getInput('constructor'),
        });
        // Spread keeps the own `__proto__` key (it defines properties; assignment would not).
        return { ...input, from: 'read_context' };
      }),
    )
    .register(
      'exact.read_dependency',
      defineHandler('exact.read_dependency', ({ context }) => {
        const parent = context.requireDependencyResult<Record<string, unknown>>('read_context');
        seen.push({
          step: context.stepName,
          types: typesOf(parent),
          proto: context.getDependencyField('read_context', '__proto__'),
          constructorValue: context.getDependencyField('read_context', 'constructor'),
        });
        return { ...parent, from: 'read_dependency' };
      }),
    )
    .register(
      'exact.proto_step',
      defineHandler('exact.proto_step', ({ input }) => ({ id: input.id })),
    )
    .register(
      'exact.constructor_step',
      defineHandler('exact.constructor_step', ({ context }) => ({
        parent_id: context.getDependencyResult<{ id: unknown }>('__proto__')?.id,
        has_proto: context.hasDependencyResult('__proto__'),
        has_to_string: context.hasDependencyResult('toString'),
        keys: context.getDependencyResultKeys(),
      })),
    );
  worker = new TaskerWorker({
    registry,
    databaseUrl: url,
    templates: [TEMPLATE, PROTOTYPE_NAMES],
    pollIntervalMs: 100,
    logger: noopLogger,
    env: {},
  });
  await worker.start();
  orchestrator = new DevOrchestrator({ databaseUrl: url, pollIntervalMs: 100, progressIntervalMs: 50 });
  await orchestrator.start();
});

afterAll(async () => {
  await orchestrator?.stop();
  await worker?.stop({ graceMs: 1000 });
  await drop?.();
});

describe('exact integers and __proto__ keys through two steps', () => {
  it('reach both handlers as bigint and own data, and are stored exactly in every step result', async () => {
    const context = parseJsonText(CONTEXT_TEXT) as Record<string, unknown>;
    const { task_uuid } = await orchestrator!.createTask({
      namespace: NAMESPACE,
      name: TEMPLATE.name,
      version: TEMPLATE.version,
      context,
    });
    const snapshot = await orchestrator!.waitForTask(task_uuid, { timeoutMs: 30_000 });
    expect(snapshot.state).toBe('complete');

    // The handlers saw exact integers as bigint, numbers as numbers, and `__proto__` / `constructor` as data.
    const expectedTypes = {
      id: 'bigint',
      max: 'bigint',
      min: 'bigint',
      safe: 'number',
      ratio: 'number',
      proto_id: 'bigint',
      proto_nested_max: 'bigint',
    };
    const proto = { id: 9007199254740993n, nested: [{ max: 18446744073709551615n }] };
    expect(seen).toEqual([
      { step: 'read_context', types: expectedTypes, proto, constructorValue: 'data' },
      { step: 'read_dependency', types: expectedTypes, proto, constructorValue: 'data' },
    ]);

    // What is stored, compared as PostgreSQL's own text of each jsonb number (never rounded, never `x.0`).
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<Record<string, string | boolean | null>>(
        `SELECT ns.name,
                ws.results->'result'->>'id' AS id,
                ws.results->'result'->>'max' AS max,
                ws.results->'result'->>'min' AS min,
                ws.results->'result'->>'safe' AS safe,
                ws.results->'result'->>'ratio' AS ratio,
                ws.results->'result'->>'constructor' AS constructor_value,
                ws.results->'result' ? '__proto__' AS has_proto,
                ws.results->'result'->'__proto__'->>'id' AS proto_id,
                ws.results->'result'->'__proto__'->'nested'->0->>'max' AS proto_nested_max,
                (ws.results->'result'->'__proto__') = (t.context->'__proto__') AS proto_equals_context,
                t.context->>'id' AS context_id,
                t.context ? '__proto__' AS context_has_proto
           FROM tasker.workflow_steps ws
           JOIN tasker.named_steps ns ON ns.named_step_uuid = ws.named_step_uuid
           JOIN tasker.tasks t ON t.task_uuid = ws.task_uuid
          WHERE ws.task_uuid = $1::uuid
          ORDER BY ns.name`,
        [task_uuid],
      );
      const stored = {
        id: '9007199254740993',
        max: '18446744073709551615',
        min: '-9223372036854775808',
        safe: '42',
        ratio: '0.5',
        constructor_value: 'data',
        has_proto: true,
        proto_id: '9007199254740993',
        proto_nested_max: '18446744073709551615',
        proto_equals_context: true,
        context_id: '9007199254740993',
        context_has_proto: true,
      };
      expect(rows).toEqual([
        { name: 'read_context', ...stored },
        { name: 'read_dependency', ...stored },
      ]);
    } finally {
      await client.end();
    }
  });

  it('steps named __proto__ and constructor run, and the dependent finds its parent by that name', async () => {
    const { task_uuid } = await orchestrator!.createTask({
      namespace: NAMESPACE,
      name: PROTOTYPE_NAMES.name,
      version: PROTOTYPE_NAMES.version,
      context: { id: 2n ** 64n - 1n },
    });
    const snapshot = await orchestrator!.waitForTask(task_uuid, { timeoutMs: 30_000 });
    expect(snapshot.state).toBe('complete');
    expect(snapshot.steps.map((s) => [s.name, s.state]).sort()).toEqual([
      ['__proto__', 'complete'],
      ['constructor', 'complete'],
    ]);
    const dependent = snapshot.steps.find((s) => s.name === 'constructor');
    expect((dependent?.results as { result?: unknown } | undefined)?.result).toEqual({
      parent_id: 18446744073709551615n,
      has_proto: true,
      has_to_string: false,
      keys: ['__proto__'],
    });
  });
});
