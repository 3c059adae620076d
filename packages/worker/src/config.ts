import {
  type DomainEventPublisher,
  type HandlerRegistry,
  type Logger,
  type ResultSchemaMode,
  SchemaMode,
} from '@tasker-bridge/core';
import type { DomainEvent, TaskTemplateInput } from '@tasker-bridge/schemas';
import type pg from 'pg';
import type { StepInterceptor } from './interceptors.js';
import { DEFAULT_QUEUE_NAMES, type QueueNames, queueNameProblem } from './queues.js';

/** How steps reach the worker (upstream `worker.event_systems.worker.deployment_mode`, docs/protocol.md §3.3). */
export const DeploymentMode = {
  /** LISTEN/NOTIFY plus the fallback poller (upstream default). */
  HYBRID: 'hybrid',
  /** Poller only: for PgBouncer transaction pooling and other poolers where LISTEN cannot work. */
  POLLING_ONLY: 'polling_only',
} as const;
export type DeploymentMode = (typeof DeploymentMode)[keyof typeof DeploymentMode];

export interface TaskerWorkerOptions {
  /** Resolves `step_definition.handler` to handlers (`@tasker-bridge/core`). Required. */
  registry: HandlerRegistry;
  /** tasker database. Env `DATABASE_URL`. */
  databaseUrl?: string | undefined;
  /** pgmq database when split from the tasker one (docs/protocol.md §0.4). Env `PGMQ_DATABASE_URL`. */
  pgmqDatabaseUrl?: string | undefined;
  /** Use this pool for the tasker database instead of creating one (it is not closed by `stop()`). */
  pool?: pg.Pool;
  /**
   * Use this pool for the pgmq database (defaults to `pool` when the databases are the same). Give
   * `pgmqDatabaseUrl` too, or the worker has no URL to LISTEN on and polls only.
   */
  pgmqPool?: pg.Pool;
  /** Directory of task template YAML files, searched recursively (§7.1). Env `TASKER_TEMPLATE_PATH`. */
  templatePath?: string | undefined;
  /**
   * Templates to register in addition to the directory's, as written in YAML (`TaskTemplateInput`) or the full
   * stored form. Each is still decoded with serde's rules at `start()`; one Rust would not decode is logged and
   * skipped, like an invalid file.
   */
  templates?: readonly TaskTemplateInput[];
  /**
   * What `start()` does when a registered template names a callable (or a `handler.method`) that no handler of
   * `registry` resolves: `fail` rejects with a `MissingHandlersError` listing them, `warn` logs them and starts
   * (such steps then fail permanently with `handler_not_found` when they run). Env `TASKER_ON_MISSING_HANDLERS`.
   * Default `fail`, and `warn` when `TASKER_ENV` is `development` or `test`.
   */
  onMissingHandlers?: MissingHandlersPolicy;
  /**
   * Upstream `common.queues.orchestration_queues.step_results`: the queue result messages go to (docs/protocol.md
   * §4.7). Env `TASKER_STEP_RESULTS_QUEUE`. Default `orchestration_step_results`.
   */
  stepResultsQueue?: string;
  /**
   * Upstream `common.queues.worker_namespace`: step queues are `{workerQueueNamespace}_{ns}_queue` (§1.1).
   * Upstream's orchestration always sends to `worker_{ns}_queue`, so change it only with an orchestration that
   * sends to the same names. Env `TASKER_WORKER_QUEUE_NAMESPACE`. Default `worker`.
   */
  workerQueueNamespace?: string;
  /** Maximum steps executing at once; never more messages are read than free slots. Env `TASKER_MAX_CONCURRENT_HANDLERS`. Default 10. */
  concurrency?: number;
  /** Fallback poll interval (upstream: 500 ms). Env `TASKER_POLL_INTERVAL_MS`. */
  pollIntervalMs?: number;
  /** Messages read per queue per poll at most (upstream: 10). Env `TASKER_POLL_BATCH_SIZE`. */
  pollBatchSize?: number;
  /** Visibility timeout for polled/fetched messages (upstream: 30 s). Env `TASKER_VISIBILITY_TIMEOUT_SECONDS`. */
  visibilityTimeoutSeconds?: number;
  /** Per-step handler time limit (upstream: 30000 ms); the step's `timeout_seconds` applies too. Env `TASKER_HANDLER_TIMEOUT_MS`. */
  handlerTimeoutMs?: number;
  /** `hybrid` (default) or `polling_only`. Env `TASKER_DEPLOYMENT_MODE`. */
  deploymentMode?: DeploymentMode;
  /**
   * `host:port` for `/health*` and `/metrics`; `:PORT` binds to 127.0.0.1 (use `0.0.0.0:PORT` in a container);
   * `null` or `''` disables. Env `TASKER_WEB_BIND_ADDRESS`. Default disabled.
   */
  healthAddress?: string | null;
  /** How long `stop()` lets in-flight steps finish before aborting them. Env `TASKER_SHUTDOWN_GRACE_MS`. Default 25000. */
  shutdownGraceMs?: number;
  /** `/health/ready` fails when the intake loop made no progress for this long. Default max(5 × poll interval, 5000). */
  readinessStaleMs?: number;
  /** A pino-compatible logger; default: a pino logger at `LOG_LEVEL` (default `info`). */
  logger?: Logger;
  /** Display id (`metadata.worker_id`, logs, health). Env `TASKER_WORKER_ID`. Default `worker_{worker uuid}`. */
  workerId?: string;
  /** Install SIGTERM/SIGINT handlers that call `stop()` (a second signal skips the grace period). Default false. */
  installSignalHandlers?: boolean;
  /** Connection pool size per database. Env `TASKER_DB_POOL_SIZE`. Default concurrency + 4. */
  poolSize?: number;
  /** `application_name` of every connection. Default `tasker-bridge-worker`. */
  applicationName?: string;
  /** Connection timeout. Default 10000 ms. */
  connectTimeoutMs?: number;
  /** How `runStep` treats `step_definition.result_schema` (default `off`). */
  resultSchemaMode?: ResultSchemaMode;
  /**
   * How `runStep` treats the template's `input_schema`: `enforce` fails a step whose task context violates it
   * with a permanent `validation_error` before its handler runs, `warn` logs it. Env `TASKER_INPUT_SCHEMA_MODE`.
   * Default `off` (orchestration checks the context when the task is created).
   */
  inputSchemaMode?: SchemaMode;
  /** Receives `fast`/`broadcast` domain events in-process (docs/protocol.md §6.4). */
  onDomainEvent?: (event: DomainEvent) => void;
  /**
   * Wrap every step, first = outermost (README "Interceptors"): `(ctx, next) => …`, inside the worker's own span;
   * the worker's step metrics count the result they settle on.
   */
  interceptors?: readonly StepInterceptor[];
  /**
   * One OpenTelemetry span per step when `@opentelemetry/api` is installed (README "Tracing"). Default true; the
   * spans are no-ops until an OpenTelemetry SDK is registered.
   */
  tracing?: boolean;
  /**
   * Named domain-event publishers: a template's `publishes_events[].publisher` selects one by name (`definePublisher`
   * from core), which shapes each event's payload. An unregistered name falls back to the default publisher (the
   * handler's result as payload) with a warning.
   */
  publishers?: readonly DomainEventPublisher[];
  /** Environment to read (default `process.env`); tests pass their own. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** `start()`'s answer to template callables with no handler (`TaskerWorkerOptions.onMissingHandlers`). */
export const MissingHandlersPolicy = { FAIL: 'fail', WARN: 'warn' } as const;
export type MissingHandlersPolicy = (typeof MissingHandlersPolicy)[keyof typeof MissingHandlersPolicy];

export interface WorkerConfig {
  databaseUrl: string | undefined;
  pgmqDatabaseUrl: string | undefined;
  templatePath: string | undefined;
  queues: QueueNames;
  concurrency: number;
  pollIntervalMs: number;
  pollBatchSize: number;
  visibilityTimeoutSeconds: number;
  handlerTimeoutMs: number;
  deploymentMode: DeploymentMode;
  health: { host: string; port: number } | null;
  shutdownGraceMs: number;
  readinessStaleMs: number;
  logLevel: string;
  workerId: string | undefined;
  poolSize: number;
  applicationName: string;
  connectTimeoutMs: number;
  onMissingHandlers: MissingHandlersPolicy;
  inputSchemaMode: SchemaMode;
}

/** Invalid configuration; `setting` names the option and environment variable. */
export class ConfigError extends Error {
  readonly code = 'invalid_configuration';
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`Invalid worker configuration: ${setting} ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function pick(option: unknown, env: Env, variable: string): { value: unknown; from: string } | undefined {
  if (option !== undefined) return { value: option, from: 'option' };
  const raw = env[variable];
  if (raw === undefined || raw.trim() === '') return undefined;
  return { value: raw.trim(), from: 'env' };
}

function integer(
  option: unknown,
  env: Env,
  names: { option: string; env: string },
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const found = pick(option, env, names.env);
  if (found === undefined) return fallback;
  const n = typeof found.value === 'number' ? found.value : Number(found.value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(
      `${names.option} (${names.env})`,
      `must be an integer between ${min} and ${max}, got ${JSON.stringify(found.value)}`,
    );
  }
  return n;
}

function text(option: unknown, env: Env, names: { option: string; env: string }): string | undefined {
  const found = pick(option, env, names.env);
  if (found === undefined) return undefined;
  if (typeof found.value !== 'string') {
    throw new ConfigError(`${names.option} (${names.env})`, `must be a string, got ${typeof found.value}`);
  }
  return found.value;
}

function databaseUrl(value: string | undefined, setting: string): string | undefined {
  if (value === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(setting, 'is not a valid URL (expected postgres://user:pass@host:port/db)');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigError(setting, `must use the postgres:// scheme, got '${parsed.protocol}'`);
  }
  return value;
}

function deploymentMode(option: unknown, env: Env): DeploymentMode {
  const found = pick(option, env, 'TASKER_DEPLOYMENT_MODE');
  if (found === undefined) return DeploymentMode.HYBRID;
  // Accept upstream's PascalCase spelling (`Hybrid`, `PollingOnly`) as well as ours.
  const normalized = String(found.value)
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
  if (normalized === DeploymentMode.HYBRID || normalized === DeploymentMode.POLLING_ONLY) return normalized;
  throw new ConfigError(
    'deploymentMode (TASKER_DEPLOYMENT_MODE)',
    `must be 'hybrid' or 'polling_only', got ${JSON.stringify(found.value)}`,
  );
}

function healthAddress(option: unknown, env: Env): WorkerConfig['health'] {
  if (option === null || option === '') return null;
  const value = text(option, env, { option: 'healthAddress', env: 'TASKER_WEB_BIND_ADDRESS' });
  if (value === undefined) return null;
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || port > 65535) {
    throw new ConfigError(
      'healthAddress (TASKER_WEB_BIND_ADDRESS)',
      `must be host:port (e.g. 0.0.0.0:8081), got ${JSON.stringify(value)}`,
    );
  }
  // No host means loopback: health and metrics are not published to the network unless asked for
  // (`0.0.0.0:PORT` in a container, where the orchestrator's probes come from outside).
  return { host: match[1] ?? (match[2] || '127.0.0.1'), port };
}

/** A queue name setting, validated like upstream's `validate_queue_name`. */
function queueName(
  option: unknown,
  env: Env,
  names: { option: string; env: string },
  fallback: string,
): string {
  const value = text(option, env, names) ?? fallback;
  const problem = queueNameProblem(value);
  if (problem !== null)
    throw new ConfigError(`${names.option} (${names.env})`, `${problem}, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * The step queue prefix: queue-name characters, and short enough that `{prefix}_{ns}_queue` leaves room for a
 * namespace (each served namespace's full name is checked again at start, when the namespaces are known).
 */
function workerQueueNamespace(option: unknown, env: Env): string {
  const names = { option: 'workerQueueNamespace', env: 'TASKER_WORKER_QUEUE_NAMESPACE' };
  const value = queueName(option, env, names, DEFAULT_QUEUE_NAMES.workerNamespace);
  const problem = queueNameProblem(`${value}_x_queue`);
  if (problem !== null) {
    throw new ConfigError(
      `${names.option} (${names.env})`,
      `leaves no room for a namespace: step queue names ${problem}`,
    );
  }
  return value;
}

/** One of `allowed`, from the option or the variable; `fallback` when neither says. */
function choice<T extends string>(
  option: unknown,
  env: Env,
  names: { option: string; env: string },
  allowed: readonly T[],
  fallback: T,
): T {
  const found = pick(option, env, names.env);
  if (found === undefined) return fallback;
  const value = String(found.value).toLowerCase();
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ConfigError(
    `${names.option} (${names.env})`,
    `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(found.value)}`,
  );
}

/**
 * Fail fast unless the environment says development or test (`TASKER_ENV`, upstream's variable). Upstream treats
 * an unset `TASKER_ENV` as development; here it counts as production, because a worker that claims steps it cannot
 * run fails them permanently, which costs more in production than a refused start costs in development.
 */
function missingHandlersDefault(env: Env): MissingHandlersPolicy {
  const environment = env.TASKER_ENV?.trim().toLowerCase();
  return environment === 'development' || environment === 'test'
    ? MissingHandlersPolicy.WARN
    : MissingHandlersPolicy.FAIL;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/**
 * Resolves options and environment into a validated configuration. Options win over the environment. Throws
 * `ConfigError` naming the setting for anything invalid, so a misconfigured worker fails at `start()`.
 */
export function resolveConfig(options: TaskerWorkerOptions): WorkerConfig {
  const env: Env = options.env ?? process.env;
  const db = databaseUrl(
    text(options.databaseUrl, env, { option: 'databaseUrl', env: 'DATABASE_URL' }),
    'databaseUrl (DATABASE_URL)',
  );
  if (db === undefined && options.pool === undefined) {
    throw new ConfigError('databaseUrl (DATABASE_URL)', 'is required (or pass a pg.Pool as `pool`)');
  }
  const pgmqDb = databaseUrl(
    text(options.pgmqDatabaseUrl, env, { option: 'pgmqDatabaseUrl', env: 'PGMQ_DATABASE_URL' }),
    'pgmqDatabaseUrl (PGMQ_DATABASE_URL)',
  );
  const concurrency = integer(
    options.concurrency,
    env,
    { option: 'concurrency', env: 'TASKER_MAX_CONCURRENT_HANDLERS' },
    10,
    1,
    10_000,
  );
  const pollIntervalMs = integer(
    options.pollIntervalMs,
    env,
    { option: 'pollIntervalMs', env: 'TASKER_POLL_INTERVAL_MS' },
    500,
    10,
    3_600_000,
  );
  const logLevel = (env.LOG_LEVEL ?? 'info').trim().toLowerCase();
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(
      'LOG_LEVEL',
      `must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`,
    );
  }
  const readinessStaleMs =
    options.readinessStaleMs ?? Math.max(5 * pollIntervalMs, 5_000 /* a few missed polls, not one */);
  if (!Number.isInteger(readinessStaleMs) || readinessStaleMs <= 0) {
    throw new ConfigError('readinessStaleMs', `must be a positive integer, got ${readinessStaleMs}`);
  }
  if (
    options.interceptors !== undefined &&
    (!Array.isArray(options.interceptors) || options.interceptors.some((i) => typeof i !== 'function'))
  ) {
    throw new ConfigError('interceptors', 'must be an array of functions (ctx, next) => Promise<result>');
  }
  const templatePath = text(options.templatePath, env, {
    option: 'templatePath',
    env: 'TASKER_TEMPLATE_PATH',
  });
  if (templatePath === undefined && (options.templates === undefined || options.templates.length === 0)) {
    throw new ConfigError(
      'templatePath (TASKER_TEMPLATE_PATH)',
      'is required: the worker serves the namespaces of the templates it registers (docs/protocol.md §7.1)',
    );
  }
  return {
    databaseUrl: db,
    pgmqDatabaseUrl: pgmqDb,
    templatePath,
    queues: {
      workerNamespace: workerQueueNamespace(options.workerQueueNamespace, env),
      stepResults: queueName(
        options.stepResultsQueue,
        env,
        { option: 'stepResultsQueue', env: 'TASKER_STEP_RESULTS_QUEUE' },
        DEFAULT_QUEUE_NAMES.stepResults,
      ),
    },
    concurrency,
    pollIntervalMs,
    pollBatchSize: integer(
      options.pollBatchSize,
      env,
      { option: 'pollBatchSize', env: 'TASKER_POLL_BATCH_SIZE' },
      10,
      1,
      1000,
    ),
    visibilityTimeoutSeconds: integer(
      options.visibilityTimeoutSeconds,
      env,
      { option: 'visibilityTimeoutSeconds', env: 'TASKER_VISIBILITY_TIMEOUT_SECONDS' },
      30,
      1,
      86_400,
    ),
    handlerTimeoutMs: integer(
      options.handlerTimeoutMs,
      env,
      { option: 'handlerTimeoutMs', env: 'TASKER_HANDLER_TIMEOUT_MS' },
      30_000,
      1,
      86_400_000,
    ),
    deploymentMode: deploymentMode(options.deploymentMode, env),
    health: healthAddress(options.healthAddress, env),
    shutdownGraceMs: integer(
      options.shutdownGraceMs,
      env,
      { option: 'shutdownGraceMs', env: 'TASKER_SHUTDOWN_GRACE_MS' },
      25_000,
      0,
      3_600_000,
    ),
    readinessStaleMs,
    logLevel,
    workerId: text(options.workerId, env, { option: 'workerId', env: 'TASKER_WORKER_ID' }),
    poolSize: integer(
      options.poolSize,
      env,
      { option: 'poolSize', env: 'TASKER_DB_POOL_SIZE' },
      concurrency + 4,
      2,
      10_000,
    ),
    applicationName: options.applicationName ?? 'tasker-bridge-worker',
    connectTimeoutMs: integer(
      options.connectTimeoutMs,
      env,
      { option: 'connectTimeoutMs', env: 'TASKER_DB_CONNECT_TIMEOUT_MS' },
      10_000,
      1,
      600_000,
    ),
    onMissingHandlers: choice(
      options.onMissingHandlers,
      env,
      { option: 'onMissingHandlers', env: 'TASKER_ON_MISSING_HANDLERS' },
      Object.values(MissingHandlersPolicy),
      missingHandlersDefault(env),
    ),
    inputSchemaMode: choice(
      options.inputSchemaMode,
      env,
      { option: 'inputSchemaMode', env: 'TASKER_INPUT_SCHEMA_MODE' },
      Object.values(SchemaMode),
      'off',
    ),
  };
}
