import { HandlerRegistry } from '@tasker-bridge/core';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config.js';
import { ConfigError, TaskerWorker } from '../src/index.js';

const registry = new HandlerRegistry();
const base = { registry, templates: [{ name: 't', namespace_name: 'n', version: '1.0.0', steps: [] }] };

describe('configuration', () => {
  it('reads the environment, options win, defaults match upstream', () => {
    const config = resolveConfig({
      ...base,
      concurrency: 3,
      env: {
        DATABASE_URL: 'postgres://u:p@h:5432/d',
        TASKER_TEMPLATE_PATH: '/tmp/templates',
        TASKER_MAX_CONCURRENT_HANDLERS: '50',
        TASKER_POLL_INTERVAL_MS: '250',
        TASKER_HANDLER_TIMEOUT_MS: '1000',
        TASKER_WEB_BIND_ADDRESS: '0.0.0.0:8081',
        TASKER_DEPLOYMENT_MODE: 'PollingOnly',
      },
    });
    expect(config).toMatchObject({
      databaseUrl: 'postgres://u:p@h:5432/d',
      templatePath: '/tmp/templates',
      concurrency: 3,
      pollIntervalMs: 250,
      handlerTimeoutMs: 1000,
      deploymentMode: 'polling_only',
      health: { host: '0.0.0.0', port: 8081 },
      visibilityTimeoutSeconds: 30,
      pollBatchSize: 10,
    });
    const defaults = resolveConfig({ ...base, env: { DATABASE_URL: 'postgres://h/d' } });
    expect(defaults).toMatchObject({
      concurrency: 10,
      pollIntervalMs: 500,
      handlerTimeoutMs: 30_000,
      deploymentMode: 'hybrid',
      health: null,
    });
  });

  it('binds a health address without a host to loopback; 0.0.0.0 only when asked for', () => {
    const health = (healthAddress: string) =>
      resolveConfig({ ...base, healthAddress, env: { DATABASE_URL: 'postgres://h/d' } }).health;
    expect(health(':8081')).toEqual({ host: '127.0.0.1', port: 8081 });
    expect(health('0.0.0.0:8081')).toEqual({ host: '0.0.0.0', port: 8081 });
    expect(health('[::]:9000')).toEqual({ host: '::', port: 9000 });
  });

  it.each([
    [{ TASKER_TEMPLATE_PATH: '/t' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'mysql://h/d', TASKER_TEMPLATE_PATH: '/t' }, 'DATABASE_URL'],
    [
      { DATABASE_URL: 'postgres://h/d', PGMQ_DATABASE_URL: 'nonsense', TASKER_TEMPLATE_PATH: '/t' },
      'PGMQ_DATABASE_URL',
    ],
    [
      { DATABASE_URL: 'postgres://h/d', TASKER_TEMPLATE_PATH: '/t', TASKER_MAX_CONCURRENT_HANDLERS: 'ten' },
      'TASKER_MAX_CONCURRENT_HANDLERS',
    ],
    [
      { DATABASE_URL: 'postgres://h/d', TASKER_TEMPLATE_PATH: '/t', TASKER_POLL_INTERVAL_MS: '-1' },
      'TASKER_POLL_INTERVAL_MS',
    ],
    [
      { DATABASE_URL: 'postgres://h/d', TASKER_TEMPLATE_PATH: '/t', TASKER_HANDLER_TIMEOUT_MS: '1.5' },
      'TASKER_HANDLER_TIMEOUT_MS',
    ],
    [
      { DATABASE_URL: 'postgres://h/d', TASKER_TEMPLATE_PATH: '/t', TASKER_WEB_BIND_ADDRESS: 'localhost' },
      'TASKER_WEB_BIND_ADDRESS',
    ],
    [
      { DATABASE_URL: 'postgres://h/d', TASKER_TEMPLATE_PATH: '/t', TASKER_DEPLOYMENT_MODE: 'events' },
      'TASKER_DEPLOYMENT_MODE',
    ],
    [{ DATABASE_URL: 'postgres://h/d', TASKER_TEMPLATE_PATH: '/t', LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [
      {
        DATABASE_URL: 'postgres://h/d',
        TASKER_TEMPLATE_PATH: '/t',
        TASKER_STEP_RESULTS_QUEUE: 'step-results',
      },
      'TASKER_STEP_RESULTS_QUEUE',
    ],
    [
      {
        DATABASE_URL: 'postgres://h/d',
        TASKER_TEMPLATE_PATH: '/t',
        TASKER_STEP_RESULTS_QUEUE: 'r'.repeat(48),
      },
      'TASKER_STEP_RESULTS_QUEUE',
    ],
    [
      { DATABASE_URL: 'postgres://h/d', TASKER_TEMPLATE_PATH: '/t', TASKER_WORKER_QUEUE_NAMESPACE: '1st' },
      'TASKER_WORKER_QUEUE_NAMESPACE',
    ],
    [
      {
        DATABASE_URL: 'postgres://h/d',
        TASKER_TEMPLATE_PATH: '/t',
        TASKER_WORKER_QUEUE_NAMESPACE: 'w'.repeat(40),
      },
      'TASKER_WORKER_QUEUE_NAMESPACE',
    ],
    [{ DATABASE_URL: 'postgres://h/d' }, 'TASKER_TEMPLATE_PATH'],
  ])('invalid %o fails with a message naming %s', (env, setting) => {
    const run = () => resolveConfig({ registry, env });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(setting);
  });

  it('onMissingHandlers fails fast unless TASKER_ENV says development or test; options and env win', () => {
    const db = { DATABASE_URL: 'postgres://h/d' };
    const policy = (options: object, env: Record<string, string>) =>
      resolveConfig({ ...base, ...options, env: { ...db, ...env } }).onMissingHandlers;
    expect(policy({}, {})).toBe('fail');
    expect(policy({}, { TASKER_ENV: 'production' })).toBe('fail');
    expect(policy({}, { TASKER_ENV: 'development' })).toBe('warn');
    expect(policy({}, { TASKER_ENV: 'test' })).toBe('warn');
    expect(policy({}, { TASKER_ENV: 'test', TASKER_ON_MISSING_HANDLERS: 'fail' })).toBe('fail');
    expect(policy({ onMissingHandlers: 'warn' }, { TASKER_ON_MISSING_HANDLERS: 'fail' })).toBe('warn');
    expect(() => policy({}, { TASKER_ON_MISSING_HANDLERS: 'ignore' })).toThrow(
      /onMissingHandlers \(TASKER_ON_MISSING_HANDLERS\) must be one of 'fail', 'warn'/,
    );
  });

  it('inputSchemaMode is off unless the option or TASKER_INPUT_SCHEMA_MODE says warn or enforce', () => {
    const env = { DATABASE_URL: 'postgres://h/d' };
    expect(resolveConfig({ ...base, env }).inputSchemaMode).toBe('off');
    expect(
      resolveConfig({ ...base, env: { ...env, TASKER_INPUT_SCHEMA_MODE: 'enforce' } }).inputSchemaMode,
    ).toBe('enforce');
    expect(() => resolveConfig({ ...base, env: { ...env, TASKER_INPUT_SCHEMA_MODE: 'strict' } })).toThrow(
      'TASKER_INPUT_SCHEMA_MODE',
    );
  });

  it('queue names: upstream defaults, then the environment, options winning', () => {
    const env = { DATABASE_URL: 'postgres://h/d' };
    expect(resolveConfig({ ...base, env }).queues).toEqual({
      workerNamespace: 'worker',
      stepResults: 'orchestration_step_results',
    });
    const fromEnv = resolveConfig({
      ...base,
      env: { ...env, TASKER_WORKER_QUEUE_NAMESPACE: 'acme', TASKER_STEP_RESULTS_QUEUE: 'acme_results' },
    });
    expect(fromEnv.queues).toEqual({ workerNamespace: 'acme', stepResults: 'acme_results' });
    const fromOptions = resolveConfig({
      ...base,
      workerQueueNamespace: 'eu',
      stepResultsQueue: 'eu_results',
      env: { ...env, TASKER_WORKER_QUEUE_NAMESPACE: 'acme', TASKER_STEP_RESULTS_QUEUE: 'acme_results' },
    });
    expect(fromOptions.queues).toEqual({ workerNamespace: 'eu', stepResults: 'eu_results' });
  });

  it('start() rejects with the ConfigError before touching any database', async () => {
    const worker = new TaskerWorker({ registry, env: { TASKER_TEMPLATE_PATH: '/t' } });
    await expect(worker.start()).rejects.toMatchObject({
      code: 'invalid_configuration',
      setting: 'databaseUrl (DATABASE_URL)',
    });
    expect(worker.state).toBe('idle');
  });

  it('a template directory that cannot be read is a configuration error naming TASKER_TEMPLATE_PATH', async () => {
    const worker = new TaskerWorker({
      registry,
      // A pool that never connects: the directory is read before any query.
      pool: { query: () => Promise.reject(new Error('no db')) } as never,
      env: { TASKER_TEMPLATE_PATH: '/definitely/not/here' },
    });
    await expect(worker.start()).rejects.toThrow(/TASKER_TEMPLATE_PATH.*cannot be read/);
  });
});
