import { randomUUID } from 'node:crypto';
import { defineHandler, HandlerRegistry } from '@tasker-bridge/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/db.js';
import { TaskerWorker } from '../src/index.js';
import {
  eventually,
  type LogRecord,
  ProtocolRows,
  recordingLogger,
  template,
} from './fixtures/protocol-rows.js';

/**
 * Every kind of bad input loses nothing and stops nothing: the message is archived (when nothing can ever claim
 * through it) or the claimed step is reported as a failure, with one clear log line carrying the ids — and the
 * worker keeps processing the next good message.
 */

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let rows: ProtocolRows;
let worker: TaskerWorker;
const logger = recordingLogger();
const NS = 'bad';
const QUEUE = `worker_${NS}_queue`;

beforeAll(async () => {
  db = await createTestDatabase();
  rows = new ProtocolRows(db.url);
  const registry = new HandlerRegistry()
    .register(
      'bad.ok',
      defineHandler('bad.ok', () => ({ fine: true })),
    )
    .register(
      'bad.throws',
      defineHandler('bad.throws', () => {
        throw new TypeError('cannot read property of undefined');
      }),
    )
    .register(
      'bad.hangs',
      defineHandler('bad.hangs', () => new Promise(() => {})), // never settles, ignores its signal
    );
  worker = new TaskerWorker({
    registry,
    databaseUrl: db.url,
    logger,
    pollIntervalMs: 100,
    handlerTimeoutMs: 300,
    // Test mode: templates whose other steps have no handler here start with a warning.
    env: { TASKER_ENV: 'test' },
    templates: [
      template(NS, 'mixed', [
        { name: 'ok' },
        { name: 'throws' },
        { name: 'hangs' },
        { name: 'nohandler', handler: { callable: 'bad.not_registered' } },
        { name: 'child', depends_on: ['ok'], handler: { callable: 'bad.ok' } },
      ]),
    ],
  });
  await worker.start();
});

afterAll(async () => {
  await worker?.stop({ graceMs: 0 });
  await rows?.close();
  await db?.drop();
});

const linesFor = (key: string, value: string, level?: LogRecord['level']) =>
  logger.records.filter((r) => r.fields[key] === value && (level === undefined || r.level === level));

/**
 * The lines about a message once there are any: a message's outcome line is written when its processing ends,
 * which can be just after the database shows its effect (the archive, the completion).
 */
const loggedFor = (key: string, value: string, level: LogRecord['level']) =>
  eventually(async () => {
    const lines = linesFor(key, value, level);
    return lines.length > 0 ? lines : null;
  });

async function archived(msgId: string) {
  return eventually(async () => (await rows.queueMessage(QUEUE, msgId)).archived, {
    what: `message ${msgId} archived`,
  });
}

/** After each bad input, a good step still goes through: nothing stopped. */
async function stillWorks() {
  const t = await rows.createTask({ namespace: NS, name: 'mixed', steps: [{ name: 'ok' }] });
  await rows.sendStepMessage(NS, {
    task_uuid: t.task_uuid,
    step_uuid: t.steps.ok,
    correlation_id: t.correlation_id,
  });
  await eventually(async () => (await rows.step(t.steps.ok!)).state === 'enqueued_for_orchestration');
}

describe('messages that can never be claimed are archived with one log line', () => {
  it('malformed body: not a StepMessage', async () => {
    const notJsonObject = await rows.sendRaw(QUEUE, '"just a string"');
    const missingField = await rows.sendRaw(
      QUEUE,
      JSON.stringify({ task_uuid: randomUUID(), step_uuid: 'not-a-uuid' }),
    );
    for (const id of [notJsonObject, missingField]) {
      await archived(id);
      const lines = await loggedFor('msg_id', id, 'warn');
      expect(lines).toHaveLength(1);
      expect(lines[0]!.msg).toMatch(/malformed step message archived/);
      expect(lines[0]!.fields).toMatchObject({ queue: QUEUE, namespace: NS });
    }
    await eventually(
      async () => worker.metrics.messagesSkipped.get({ namespace: NS, reason: 'malformed_message' }) === 2,
    );
    await stillWorks();
  });

  it('unknown task', async () => {
    const ids = { task_uuid: randomUUID(), step_uuid: randomUUID(), correlation_id: randomUUID() };
    const msgId = await rows.sendStepMessage(NS, ids);
    await archived(msgId);
    const lines = await loggedFor('msg_id', msgId, 'warn');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.fields).toMatchObject({
      task_uuid: ids.task_uuid,
      step_uuid: ids.step_uuid,
      reason: 'task_not_found',
    });
    await stillWorks();
  });

  it('unknown step of a known task', async () => {
    const t = await rows.createTask({
      namespace: NS,
      name: 'mixed',
      steps: [{ name: 'ok', state: 'pending' }],
    });
    const stepUuid = randomUUID();
    const msgId = await rows.sendStepMessage(NS, {
      task_uuid: t.task_uuid,
      step_uuid: stepUuid,
      correlation_id: t.correlation_id,
    });
    await archived(msgId);
    expect(await loggedFor('msg_id', msgId, 'warn')).toMatchObject([
      { fields: { step_uuid: stepUuid, reason: 'step_not_found' } },
    ]);
  });

  it('step no longer enqueued (already claimed, or finished): archived, not re-read forever, rows untouched', async () => {
    const t = await rows.createTask({
      namespace: NS,
      name: 'mixed',
      steps: [
        { name: 'ok', state: 'in_progress' },
        { name: 'throws', state: 'complete', results: { success: true } },
      ],
    });
    for (const [name, state] of [
      ['ok', 'in_progress'],
      ['throws', 'complete'],
    ] as const) {
      const stepUuid = t.steps[name]!;
      const msgId = await rows.sendStepMessage(NS, {
        task_uuid: t.task_uuid,
        step_uuid: stepUuid,
        correlation_id: t.correlation_id,
      });
      await archived(msgId);
      const lines = await loggedFor('msg_id', msgId, 'warn');
      expect(lines).toHaveLength(1);
      expect(lines[0]!.fields).toMatchObject({ reason: 'not_claimable', state, step_uuid: stepUuid });
      const after = await rows.step(stepUuid);
      expect(after.state).toBe(state);
      expect(after.attempts).toBeNull();
    }
  });
});

describe('claimed steps whose handler is missing or misbehaves are reported, never left in_progress', () => {
  async function runOne(name: string) {
    const t = await rows.createTask({ namespace: NS, name: 'mixed', steps: [{ name }] });
    return reported(t, name);
  }

  /** Sends the step's message and waits for it to be reported as a failure, with the message archived. */
  async function reported(t: Awaited<ReturnType<ProtocolRows['createTask']>>, name: string) {
    const stepUuid = t.steps[name]!;
    const msgId = await rows.sendStepMessage(NS, {
      task_uuid: t.task_uuid,
      step_uuid: stepUuid,
      correlation_id: t.correlation_id,
    });
    const step = await eventually(async () => {
      const s = await rows.step(stepUuid);
      return s.state === 'enqueued_as_error_for_orchestration' ? s : null;
    });
    expect(step.in_process).toBe(false);
    // The step message is the claim's lease: archived with the result message, right after the completion.
    await archived(msgId);
    const results = await rows.messages('orchestration_step_results');
    expect(results.some((m) => m.message.step_uuid === stepUuid)).toBe(true);
    return { step, stepUuid, msgId };
  }

  it('a step whose template has no such step definition: claimed, then a permanent failure naming it', async () => {
    const { step, msgId } = await runOne('not_in_template');
    expect(step.results).toMatchObject({
      success: false,
      metadata: { retryable: false, error_type: 'step_definition_not_found' },
    });
    expect(JSON.stringify(step.results)).toMatch(/has no step 'not_in_template'/);
    expect(await loggedFor('msg_id', msgId, 'warn')).toMatchObject([
      { fields: { reason: 'step_definition_not_found' } },
    ]);
  });

  it('an ancestor whose results do not decode: claimed, then a permanent undecodable failure (Rust fails hydration on the same data)', async () => {
    const t = await rows.createTask({
      namespace: NS,
      name: 'mixed',
      steps: [
        { name: 'ok', state: 'complete', results: { success: 'yes' } },
        { name: 'child', dependsOn: ['ok'] },
      ],
    });
    const { step, msgId } = await reported(t, 'child');
    expect(step.results).toMatchObject({
      success: false,
      metadata: { retryable: false, error_type: 'undecodable' },
    });
    const [line] = await loggedFor('msg_id', msgId, 'warn');
    expect(line?.fields.reason).toBe('undecodable');
    expect(line?.msg).toMatch(/dependency_results\/ok/);
  });

  it('unknown handler: permanent handler_not_found failure', async () => {
    const { step, stepUuid } = await runOne('nohandler');
    expect(step.results).toMatchObject({
      success: false,
      metadata: { retryable: false, error_type: 'handler_not_found' },
      error: { retryable: false },
    });
    const failures = linesFor('step_uuid', stepUuid, 'warn').filter((r) => /step failed/.test(r.msg ?? ''));
    expect(failures).toHaveLength(1);
  });

  it('handler that throws: retryable failure with the error message', async () => {
    const { step, stepUuid } = await runOne('throws');
    expect(step.results).toMatchObject({
      success: false,
      metadata: { retryable: true },
      error: { message: 'cannot read property of undefined' },
    });
    const failures = linesFor('step_uuid', stepUuid, 'warn').filter((r) => /step failed/.test(r.msg ?? ''));
    expect(failures).toHaveLength(1);
    expect(failures[0]!.fields).toMatchObject({
      namespace: NS,
      correlation_id: expect.any(String),
      task_uuid: expect.any(String),
    });
  });

  it('handler that hangs: retryable handler_timeout after the per-step timeout', async () => {
    const { step } = await runOne('hangs');
    expect(step.results).toMatchObject({
      success: false,
      metadata: { retryable: true, error_type: 'handler_timeout' },
      error: { message: 'Handler timed out after 300ms' },
    });
  });
});

describe('double-claim guard', () => {
  it('two workers racing for the same message: exactly one claim, one attempt, one result', async () => {
    const second = new TaskerWorker({
      registry: new HandlerRegistry().register(
        'bad.ok',
        defineHandler('bad.ok', () => ({ by: 'second' })),
      ),
      databaseUrl: db.url,
      logger: recordingLogger(),
      pollIntervalMs: 50,
      // Test mode: templates whose other steps have no handler here start with a warning.
      env: { TASKER_ENV: 'test' },
      templates: [
        template(NS, 'mixed', [
          { name: 'ok' },
          { name: 'throws' },
          { name: 'hangs' },
          { name: 'nohandler' },
          { name: 'child', depends_on: ['ok'] },
        ]),
      ],
    });
    await second.start();
    try {
      const tasks = await Promise.all(
        Array.from({ length: 6 }, () =>
          rows.createTask({ namespace: NS, name: 'mixed', steps: [{ name: 'ok' }] }),
        ),
      );
      for (const t of tasks) {
        await rows.sendStepMessage(NS, {
          task_uuid: t.task_uuid,
          step_uuid: t.steps.ok,
          correlation_id: t.correlation_id,
        });
      }
      for (const t of tasks) {
        const stepUuid = t.steps.ok!;
        const s = await eventually(async () => {
          const r = await rows.step(stepUuid);
          return r.state === 'enqueued_for_orchestration' ? r : null;
        });
        expect(s.attempts).toBe(1);
        const claims = (await rows.transitions(stepUuid)).filter((tr) => tr.to_state === 'in_progress');
        expect(claims).toHaveLength(1);
      }
    } finally {
      await second.stop({ graceMs: 0 });
    }
  });
});
