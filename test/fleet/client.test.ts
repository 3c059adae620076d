// @tasker-bridge/client against the real tasker-server 0.1.8: create, get, list (filters and pages as the server
// does them), wait, cancel, the typed errors of a duplicate identity and of missing things; then, on a server
// with `[orchestration.web.auth]` on, the credentials it accepts (an API key in its configured header, an RS256
// JWT as a bearer token) and the 401/403 it answers otherwise. Our TS worker serves the linear example and a
// `hold` step that runs until cancelled.

import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuthenticationError,
  AuthorizationError,
  TaskerClient,
  TaskerHttpError,
  TaskIdentityConflictError,
  TaskNotCancellableError,
  TaskNotFoundError,
  type TaskResponse,
  TaskWaitTimeoutError,
  TemplateNotFoundError,
} from '@tasker-bridge/client';
import { exampleHandlers } from '@tasker-bridge/examples';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleTemplates, LINEAR } from './support/examples.js';
import { decodeErrors, type Fleet, startFleet } from './support/fleet.js';
import { holdStep } from './support/interop-handlers.js';
import { FLEET_TEMPLATES_DIR } from './support/paths.js';
import { startTsWorker } from './support/ts-worker.js';

const HOLD = { namespace: 'fleet_hold', name: 'hold', version: '1.0.0' };
/** Sets this file's tasks apart from each other: the server deduplicates by context. */
const RUN = randomUUID();
const contextOf = (task: TaskResponse) => task.context as Record<string, unknown>;

describe('@tasker-bridge/client against tasker-server 0.1.8', () => {
  let fleet: Fleet;
  let client: TaskerClient;
  let completedUuid: string;

  beforeAll(async () => {
    fleet = await startFleet('client');
    const templates = await exampleTemplates(join(fleet.logDir, 'templates'), [LINEAR.namespace]);
    await mkdir(join(templates, HOLD.namespace), { recursive: true });
    await cp(join(FLEET_TEMPLATES_DIR, 'interop', 'hold.yaml'), join(templates, HOLD.namespace, 'hold.yaml'));
    await startTsWorker(fleet, { templatePath: templates, handlers: [...exampleHandlers, holdStep] });
    client = new TaskerClient({
      baseUrl: fleet.server.baseUrl,
      requestDefaults: { initiator: 'client-test' },
    });
  });

  afterAll(async () => {
    await fleet?.stop();
  });

  it('creates a task, reads it back and waits until it is complete', async () => {
    const created = await client.createTask({ ...LINEAR, context: { even_number: 6, run: RUN } });
    expect(created).toMatchObject({ ...LINEAR, initiator: 'client-test', source_system: 'tasker-core' });
    expect(created.total_steps).toBe(4);

    const read = await client.getTask(created.task_uuid);
    expect(read.task_uuid).toBe(created.task_uuid);
    expect(read.correlation_id).toBe(created.correlation_id); // chosen by the client, kept by the server
    expect(contextOf(read)).toEqual({ even_number: 6, run: RUN });

    const done = await client.waitForTask(created.task_uuid, { until: ['complete'], timeoutMs: 60_000 });
    expect(done.status).toBe('complete');
    expect(done.completion_percentage).toBe(100);
    expect(done.steps.map((s) => s.current_state)).toEqual(done.steps.map(() => 'complete'));
    completedUuid = done.task_uuid;
  });

  it('rejects a second task with the same identity with TaskIdentityConflictError, whatever its idempotency_key', async () => {
    const request = { ...LINEAR, context: { even_number: 8, run: RUN } };
    const first = await client.createTask(request);

    const again = await client.createTask(request).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(TaskIdentityConflictError);
    expect(again).toMatchObject({
      code: 'task_identity_conflict',
      status: 409,
      serverCode: 'CONFLICT',
      afterRetry: false,
    });
    // 0.1.8's REST path computes the identity from named task + context only (docs/wire-types.md §18.4).
    await expect(client.createTask({ ...request, idempotency_key: randomUUID() })).rejects.toBeInstanceOf(
      TaskIdentityConflictError,
    );

    const listed = await client.listTasks({ namespace: LINEAR.namespace, per_page: 100 });
    const same = listed.tasks.filter((t) => contextOf(t).run === RUN && contextOf(t).even_number === 8);
    expect(same.map((t) => t.task_uuid)).toEqual([first.task_uuid]);
    await client.waitForTask(first.task_uuid, { until: ['complete'], timeoutMs: 60_000 });
  });

  it('lists with filters, newest first, a page at a time', async () => {
    const completed = await client.listTasks({ namespace: LINEAR.namespace, status: 'completed' });
    expect(completed.tasks.length).toBeGreaterThanOrEqual(2);
    expect(completed.tasks.every((t) => t.namespace === LINEAR.namespace && t.status === 'completed')).toBe(
      true,
    );
    expect(completed.tasks.every((t) => t.steps.length === 0)).toBe(true); // the list view carries no steps
    expect((await client.listTasks({ namespace: HOLD.namespace })).tasks).toEqual([]);
    expect((await client.listTasks({ initiator: 'nobody' })).pagination.total_count).toBe(0);

    const first = await client.listTasks({ per_page: 1 });
    expect(first.tasks).toHaveLength(1);
    expect(first.pagination).toMatchObject({ page: 1, per_page: 1, has_next: true, has_previous: false });
    expect(first.pagination.total_pages).toBe(Number(first.pagination.total_count));
    const second = await client.listTasks({ per_page: 1, page: 2 });
    expect(second.pagination).toMatchObject({ page: 2, has_previous: true });
    expect(second.tasks[0]?.task_uuid).not.toBe(first.tasks[0]?.task_uuid);
    expect(Date.parse(second.tasks[0]?.created_at ?? '')).toBeLessThanOrEqual(
      Date.parse(first.tasks[0]?.created_at ?? ''),
    );

    const tooMany = await client.listTasks({ per_page: 101 }).catch((e: unknown) => e);
    expect(tooMany).toBeInstanceOf(TaskerHttpError);
    expect(tooMany).toMatchObject({ status: 400, serverCode: 'BAD_REQUEST', attempts: 1 });
  });

  it('cancels a task whose step is running, again without complaint, but not a completed task', async () => {
    const held = await client.createTask({ ...HOLD, context: { hold_ms: 600_000, run: RUN } });
    const running = await client.waitForTask(held.task_uuid, {
      until: (t) => t.steps.some((s) => s.current_state === 'in_progress'),
      timeoutMs: 30_000,
    });
    expect(running.status).toBe('steps_in_process');

    const timedOut = await client
      .waitForTask(held.task_uuid, { until: ['complete'], timeoutMs: 600, pollIntervalMs: 100 })
      .catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(TaskWaitTimeoutError);
    expect((timedOut as TaskWaitTimeoutError).lastTask?.status).toBe('steps_in_process');

    const cancelled = await client.cancelTask(held.task_uuid);
    expect(cancelled.status).toBe('cancelled');
    expect((await client.getTask(held.task_uuid)).status).toBe('cancelled');

    expect((await client.cancelTask(held.task_uuid)).status).toBe('cancelled'); // the server said 400

    const finished = await client.cancelTask(completedUuid).catch((e: unknown) => e);
    expect(finished).toBeInstanceOf(TaskNotCancellableError);
    expect(finished).toMatchObject({ code: 'task_not_cancellable', status: 400, taskUuid: completedUuid });
  });

  it('names what does not exist with typed errors', async () => {
    const missing = randomUUID();
    await expect(client.getTask(missing)).rejects.toMatchObject({
      code: 'task_not_found',
      taskUuid: missing,
    });
    await expect(client.cancelTask(missing)).rejects.toBeInstanceOf(TaskNotFoundError);
    const noTemplate = await client
      .createTask({ ...LINEAR, name: 'no_such_template', context: { run: RUN } })
      .catch((e: unknown) => e);
    expect(noTemplate).toBeInstanceOf(TemplateNotFoundError);
    expect(noTemplate).toMatchObject({ status: 404, serverCode: 'NOT_FOUND' });
    await expect(client.getTask('not-a-uuid')).rejects.toMatchObject({
      status: 400,
      serverCode: 'INVALID_UUID',
    });
  });

  it('leaves no decode error in the server log', async () => {
    expect(decodeErrors(await fleet.server.process.log())).toEqual([]);
  });
});

describe('@tasker-bridge/client with [orchestration.web.auth] enabled', () => {
  const API_KEY = `fleet-${randomUUID()}`;
  const API_KEY_HEADER = 'X-Tasker-Key';
  const ISSUER = 'tasker-bridge-fleet';
  const AUDIENCE = 'tasker-api';
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let keyDir: string;
  let fleet: Fleet;
  let baseUrl: string;

  /** An RS256 JWT with the claims tasker-shared's TokenClaims reads. */
  const jwt = (permissions: string[], { expiresIn = 600 } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const input = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({
      sub: 'fleet-client',
      iss: ISSUER,
      aud: AUDIENCE,
      iat: now,
      exp: now + expiresIn,
      permissions,
    })}`;
    return `${input}.${sign('RSA-SHA256', Buffer.from(input), keys.privateKey).toString('base64url')}`;
  };

  beforeAll(async () => {
    keyDir = await mkdtemp(join(tmpdir(), 'tasker-client-jwt-'));
    const publicKeyPath = join(keyDir, 'public.pem');
    await writeFile(publicKeyPath, keys.publicKey.export({ type: 'spki', format: 'pem' }));
    fleet = await startFleet('client-auth', {
      patchOrchestrationConfig: (toml) =>
        `${toml}
[orchestration.web.auth]
enabled = true
jwt_issuer = "${ISSUER}"
jwt_audience = "${AUDIENCE}"
jwt_token_expiry_hours = 1
jwt_private_key = ""
jwt_public_key = ""
jwt_public_key_path = "${publicKeyPath}"
api_key = ""
api_key_header = "${API_KEY_HEADER}"
api_keys_enabled = true
api_keys = [{ key = "${API_KEY}", permissions = ["tasks:list", "tasks:read"], description = "fleet client test" }]
`,
    });
    baseUrl = fleet.server.baseUrl;
  });

  afterAll(async () => {
    await fleet?.stop();
    if (keyDir) await rm(keyDir, { recursive: true, force: true });
  });

  it('accepts an API key in the header api_key_header names', async () => {
    const client = new TaskerClient({
      baseUrl,
      auth: { type: 'api_key', key: API_KEY, header_name: API_KEY_HEADER },
    });
    expect((await client.listTasks()).pagination.total_count).toBe(0);
  });

  it('accepts an RS256 JWT as a bearer token, asked for before each request', async () => {
    let asked = 0;
    const client = new TaskerClient({
      baseUrl,
      auth: {
        type: 'bearer',
        token: () => {
          asked += 1;
          return jwt(['tasks:list', 'tasks:read']);
        },
      },
    });
    expect((await client.listTasks()).tasks).toEqual([]);
    await expect(client.getTask(randomUUID())).rejects.toBeInstanceOf(TaskNotFoundError); // past auth: 404
    expect(asked).toBe(2);
  });

  it('answers 401 without credentials, with a wrong key, in the wrong header, or with an expired token', async () => {
    const attempts = [
      new TaskerClient({ baseUrl }),
      new TaskerClient({ baseUrl, auth: { type: 'api_key', key: 'wrong', header_name: API_KEY_HEADER } }),
      new TaskerClient({ baseUrl, auth: { type: 'api_key', key: API_KEY } }), // X-API-Key: not this server's header
      new TaskerClient({
        baseUrl,
        auth: { type: 'bearer', token: jwt(['tasks:list'], { expiresIn: -120 }) },
      }),
    ];
    for (const client of attempts) {
      const error = await client.listTasks().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error).toMatchObject({ code: 'authentication_failed', status: 401, attempts: 1 });
    }
  });

  it('answers 403 for credentials without the route permission', async () => {
    const readOnly = new TaskerClient({ baseUrl, auth: { type: 'bearer', token: jwt(['tasks:read']) } });
    const error = await readOnly.listTasks().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthorizationError);
    expect(error).toMatchObject({ code: 'authorization_failed', status: 403 });
    const keyWithoutCreate = new TaskerClient({
      baseUrl,
      auth: { type: 'api_key', key: API_KEY, header_name: API_KEY_HEADER },
    });
    await expect(keyWithoutCreate.createTask({ ...LINEAR, context: {} })).rejects.toBeInstanceOf(
      AuthorizationError,
    );
  });
});
