import type { AddressInfo } from 'node:net';
import type { DomainEventPublisher, Logger } from '@tasker-bridge/core';
import type { TaskTemplate } from '@tasker-bridge/schemas';
import pg from 'pg';
import { sleep } from './backoff.js';
import { ConfigError, resolveConfig, type TaskerWorkerOptions, type WorkerConfig } from './config.js';
import { DatabaseProbe, Throttled } from './database-probe.js';
import { onDatabase, PGMQ_OBJECTS, TASKER_TABLES } from './database-roles.js';
import { unknownPublishers } from './domain-events.js';
import { HealthServer, type ReadinessReport } from './health-server.js';
import { InterceptorChain } from './interceptors.js';
import { createDefaultLogger } from './logger.js';
import { type QueueDepth, WorkerMetrics } from './metrics.js';
import { checkHandlers } from './missing-handlers.js';
import { detectPgmq, type PgmqInfo } from './pgmq-version.js';
import { createQueues } from './queue-creation.js';
import { namespaceQueues, orchestrationQueues, queueNameProblem, stepQueueName } from './queues.js';
import { readinessReport } from './readiness.js';
import { createRuntime, type Runtime } from './runtime.js';
import { installSignalHandlers } from './shutdown.js';
import { createClient, createPool, redactUrl } from './sql/connections.js';
import { QUEUE_DEPTHS } from './sql/statements.js';
import { loadOpenTelemetryApi, tracingInterceptor } from './step-tracing.js';
import { loadTemplateSources, registerTemplates, type TemplateSource } from './templates.js';
import { uuidv7 } from './uuid.js';

export type WorkerState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/** How long completions may still take after running handlers were cancelled at shutdown. */
const COMPLETION_DEADLINE_MS = 15_000;

/** Time limit of one health probe statement (connecting included). */
const PROBE_TIMEOUT_MS = 2_000;

/**
 * A tasker-core worker in TypeScript: registers its task templates, creates its queues, listens and polls for
 * step messages, claims, runs and completes steps exactly as tasker's Rust worker does on the wire
 * (docs/protocol.md). `start()` and `stop()` are idempotent.
 */
export class TaskerWorker {
  /** UUIDv7 per process: `worker_uuid` in completion transitions and audit rows (§4.6). */
  readonly workerUuid = uuidv7();
  readonly metrics = new WorkerMetrics();

  readonly #options: TaskerWorkerOptions;
  #config: WorkerConfig | null = null;
  #logger: Logger;
  #state: WorkerState = 'idle';
  #starting: Promise<void> | null = null;
  #stopping: Promise<void> | null = null;
  #startedAt = 0;

  /** The tasker and pgmq pools (one pool when they share a database), and those this worker created. */
  #pools: { tasker: pg.Pool; pgmq: pg.Pool; owned: pg.Pool[] } | null = null;
  #namespaces: string[] = [];
  #pgmq: PgmqInfo | null = null;
  #runtime: Runtime | null = null;
  #health: HealthServer | null = null;
  /** The health connections: one per database (`database-probe.ts`). */
  #probes: DatabaseProbe[] = [];
  #healthAddress: AddressInfo | null = null;
  #removeSignalHandlers: (() => void) | null = null;
  #cancel = new AbortController();
  #hardStop = new AbortController();
  readonly #runningSteps = new Set<string>();
  readonly #publishers = new Map<string, DomainEventPublisher>();

  constructor(options: TaskerWorkerOptions) {
    if (options === undefined || options.registry === undefined) {
      throw new ConfigError('registry', 'is required (a HandlerRegistry from @tasker-bridge/core)');
    }
    this.#options = options;
    this.#logger = options.logger ?? createDefaultLogger('info', {});
    for (const publisher of options.publishers ?? []) {
      if (this.#publishers.has(publisher.name)) {
        throw new ConfigError('publishers', `has two publishers named '${publisher.name}'`);
      }
      this.#publishers.set(publisher.name, publisher);
    }
  }

  /** Display id: `TASKER_WORKER_ID` / `workerId`, else `worker_{workerUuid}` like upstream's worker id. */
  get workerId(): string {
    return this.#config?.workerId ?? this.#options.workerId ?? `worker_${this.workerUuid}`;
  }

  get state(): WorkerState {
    return this.#state;
  }

  /** Namespaces served (from the registered templates); empty before `start()`. */
  get namespaces(): readonly string[] {
    return this.#namespaces;
  }

  /** The pgmq extension version of the pgmq database, read at `start()` (docs/protocol.md §8); null before. */
  get pgmqVersion(): string | null {
    return this.#pgmq?.version ?? null;
  }

  /** Where the health server listens (after `start()`), or null. */
  get healthAddress(): AddressInfo | null {
    return this.#healthAddress;
  }

  get logger(): Logger {
    return this.#logger;
  }

  /** Steps currently claimed and not yet completed by this worker. */
  get runningSteps(): readonly string[] {
    return [...this.#runningSteps];
  }

  start(): Promise<void> {
    if (this.#state === 'running') return Promise.resolve();
    if (this.#starting) return this.#starting;
    if (this.#state === 'stopping' || this.#state === 'stopped') {
      return Promise.reject(new Error('a stopped worker cannot be restarted; create a new TaskerWorker'));
    }
    this.#starting = this.#start().finally(() => {
      this.#starting = null;
    });
    return this.#starting;
  }

  async #start(): Promise<void> {
    this.#state = 'starting';
    try {
      const config = resolveConfig(this.#options);
      this.#config = config;
      if (this.#options.logger === undefined) {
        this.#logger = createDefaultLogger(config.logLevel, { worker_id: this.workerId });
      } else {
        this.#logger = this.#options.logger.child({ worker_id: this.workerId });
      }
      const pools = this.#createPools(config);
      this.#pools = pools;
      this.#probes = this.#createProbes(config, pools);
      const taskerSetting = 'databaseUrl (DATABASE_URL)';
      const pgmqSetting =
        config.pgmqDatabaseUrl !== undefined || this.#options.pgmqPool !== undefined
          ? 'pgmqDatabaseUrl (PGMQ_DATABASE_URL)'
          : taskerSetting;
      const templates = await onDatabase({ setting: taskerSetting, needs: TASKER_TABLES }, () =>
        this.#registerTemplates(config, pools.tasker),
      );
      const pgmq = await onDatabase({ setting: pgmqSetting, needs: PGMQ_OBJECTS }, async () => {
        const found = await this.#detectPgmq(pgmqSetting, pools.pgmq);
        await this.#createQueues(config, pools.pgmq);
        return found;
      });
      this.#pgmq = pgmq;
      // After the database checks, so that a wrong URL is reported as such first.
      await checkHandlers(this.#options.registry, templates, config.onMissingHandlers, this.#logger);
      for (const name of unknownPublishers(templates, this.#publishers)) {
        this.#logger.warn(
          { publisher: name },
          'templates name a domain event publisher that is not registered',
        );
      }
      const runtime = createRuntime({
        config,
        pgmq,
        taskerPool: pools.tasker,
        pgmqPool: pools.pgmq,
        // Orchestration notifies from `tasker.pgmq_send_with_notify`, which runs on the pgmq database: LISTEN
        // there. An injected `pgmqPool` without `pgmqDatabaseUrl` may point anywhere, so the tasker URL is no
        // fallback.
        listenUrl:
          config.pgmqDatabaseUrl ?? (this.#options.pgmqPool === undefined ? config.databaseUrl : undefined),
        namespaces: this.#namespaces,
        registry: this.#options.registry,
        resultSchemaMode: this.#options.resultSchemaMode,
        inputSchemaMode: config.inputSchemaMode,
        interceptors: await this.#interceptors(),
        onDomainEvent: this.#options.onDomainEvent,
        publishers: this.#publishers,
        workerUuid: this.workerUuid,
        workerId: this.workerId,
        logger: this.#logger,
        metrics: this.metrics,
        cancelSignal: this.#cancel.signal,
        hardStopSignal: this.#hardStop.signal,
        runningSteps: this.#runningSteps,
      });
      this.#runtime = runtime;
      this.#sampleMetrics(config, runtime);
      runtime.intake.open();
      runtime.leases.start();
      if (runtime.listener) await runtime.listener.start();
      runtime.poller.start();
      if (config.health) {
        this.#health = new HealthServer({
          workerId: this.workerId,
          live: () => this.#state === 'running' || this.#state === 'starting' || this.#state === 'stopping',
          ready: () => this.readiness(),
          metrics: () => this.metrics.render(),
        });
        this.#healthAddress = await this.#health.listen(config.health.host, config.health.port);
      }
      if (this.#options.installSignalHandlers) this.#removeSignalHandlers = installSignalHandlers(this);
      this.#startedAt = Date.now();
      this.#state = 'running';
      this.#logger.info(
        {
          worker_uuid: this.workerUuid,
          namespaces: this.#namespaces,
          deployment_mode: config.deploymentMode,
          concurrency: config.concurrency,
          pgmq_version: this.#pgmq?.version,
          database: config.databaseUrl === undefined ? '<injected pool>' : redactUrl(config.databaseUrl),
          pgmq_database:
            pools.pgmq === pools.tasker
              ? 'same as database'
              : config.pgmqDatabaseUrl === undefined
                ? '<injected pool>'
                : redactUrl(config.pgmqDatabaseUrl),
          health: this.#healthAddress ? `${this.#healthAddress.address}:${this.#healthAddress.port}` : null,
        },
        'worker started',
      );
    } catch (error) {
      await this.#teardown();
      this.#state = 'idle';
      throw error;
    }
  }

  #createPools(config: WorkerConfig): { tasker: pg.Pool; pgmq: pg.Pool; owned: pg.Pool[] } {
    const onError = (which: string) => (error: Error) =>
      this.#logger.warn({ pool: which, error: error.message }, 'idle database connection lost');
    const settings = {
      applicationName: config.applicationName,
      max: config.poolSize,
      connectionTimeoutMillis: config.connectTimeoutMs,
      genericPlans: true,
    };
    const owned: pg.Pool[] = [];
    const own = (pool: pg.Pool) => {
      owned.push(pool);
      return pool;
    };
    const tasker =
      this.#options.pool ??
      own(
        createPool({
          ...settings,
          connectionString: config.databaseUrl as string,
          onError: onError('tasker'),
        }),
      );
    const separatePgmq =
      config.pgmqDatabaseUrl !== undefined && config.pgmqDatabaseUrl !== config.databaseUrl;
    const pgmq =
      this.#options.pgmqPool ??
      (separatePgmq
        ? own(
            createPool({
              ...settings,
              connectionString: config.pgmqDatabaseUrl as string,
              onError: onError('pgmq'),
            }),
          )
        : tasker);
    return { tasker, pgmq, owned };
  }

  /**
   * Health reads (readiness, queue depths) get connections of their own, never the step pool's
   * (`database-probe.ts`); opened on first use. An injected pool lends its settings, not its connections.
   */
  #createProbes(config: WorkerConfig, pools: { tasker: pg.Pool; pgmq: pg.Pool }): DatabaseProbe[] {
    const timeoutMs = Math.min(config.connectTimeoutMs, PROBE_TIMEOUT_MS);
    const applicationName = `${config.applicationName}-health`;
    const clientFor = (url: string | undefined, pool: pg.Pool) => () =>
      url !== undefined
        ? createClient(url, applicationName, timeoutMs)
        : new pg.Client({
            ...pool.options,
            // pg-pool keeps the password out of enumeration, so a spread would drop it.
            password: pool.options.password,
            application_name: applicationName,
            connectionTimeoutMillis: timeoutMs,
          });
    const split = pools.pgmq !== pools.tasker;
    const taskerUrl = this.#options.pool === undefined ? config.databaseUrl : undefined;
    const probes = [
      new DatabaseProbe({
        label: split ? 'tasker database' : 'database',
        createClient: clientFor(taskerUrl, pools.tasker),
        timeoutMs,
        logger: this.#logger,
      }),
    ];
    if (split) {
      const pgmqUrl = this.#options.pgmqPool === undefined ? config.pgmqDatabaseUrl : undefined;
      probes.push(
        new DatabaseProbe({
          label: 'pgmq database',
          createClient: clientFor(pgmqUrl, pools.pgmq),
          timeoutMs,
          logger: this.#logger,
        }),
      );
    }
    return probes;
  }

  /** Scrape-time figures: leases held, and the step queues' depths read on the pgmq probe at most once per second. */
  #sampleMetrics(config: WorkerConfig, runtime: Runtime): void {
    const pgmqProbe = this.#probes.at(-1) as DatabaseProbe;
    const queues = new Map(
      this.#namespaces.map((ns) => [stepQueueName(ns, config.queues.workerNamespace), ns]),
    );
    const depths = new Throttled<QueueDepth[]>(1_000, async () => {
      const rows = await pgmqProbe.query(QUEUE_DEPTHS, [[...queues.keys()]]);
      return rows.map((r) => ({
        namespace: queues.get(r.queue_name) ?? '',
        queue: r.queue_name,
        length: Number(r.queue_length),
        visible: Number(r.queue_visible_length),
        oldestAgeSeconds: r.oldest_msg_age_sec,
      }));
    });
    this.metrics.sampleFrom({
      leasesHeld: () => runtime.leases.heldCount,
      queueDepths: () => depths.get(),
    });
  }

  /**
   * Every step runs inside the worker's span (when `@opentelemetry/api` is installed and `tracing` is not false),
   * then the user's interceptors in the order given (`interceptors.ts`). The step metrics are recorded from the
   * result this chain settles on (`outcome.ts`), as if by an interceptor outside the user's.
   */
  async #interceptors(): Promise<InterceptorChain> {
    const api = this.#options.tracing === false ? null : await loadOpenTelemetryApi();
    return new InterceptorChain([
      ...(api === null ? [] : [tracingInterceptor(api)]),
      ...(this.#options.interceptors ?? []),
    ]);
  }

  /** Registers the templates (§7.1) and returns them, decoded. */
  async #registerTemplates(config: WorkerConfig, db: pg.Pool): Promise<TaskTemplate[]> {
    const sources: TemplateSource[] = [];
    if (config.templatePath !== undefined) {
      try {
        sources.push(...(await loadTemplateSources(config.templatePath)));
      } catch (error) {
        throw new ConfigError(
          'templatePath (TASKER_TEMPLATE_PATH)',
          `cannot be read: ${(error as Error).message}`,
        );
      }
    }
    (this.#options.templates ?? []).forEach((value, i) => {
      sources.push({ origin: `options.templates[${i}]`, value });
    });
    const result = await registerTemplates(db, sources, this.#logger);
    if (result.registered.length === 0) {
      throw new ConfigError(
        'templatePath (TASKER_TEMPLATE_PATH)',
        `yielded no valid task template (${sources.length} found${
          result.failed.length > 0
            ? `; ${result.failed.map((f) => `${f.origin}: ${f.reason}`).join('; ')}`
            : ''
        })`,
      );
    }
    this.#namespaces = result.namespaces;
    return result.registered.map((r) => r.template);
  }

  /** Once per start, on the pgmq database (§8.1): which pgmq runs there; refuses one too old or missing. */
  async #detectPgmq(setting: string, db: pg.Pool): Promise<PgmqInfo> {
    const pgmq = await detectPgmq(db);
    if (pgmq === null) {
      throw new ConfigError(
        setting,
        "points at a database without the pgmq extension (no 'pgmq' row in pg_extension; tasker's migrations " +
          'install it with CREATE EXTENSION pgmq)',
      );
    }
    return pgmq;
  }

  /** The Rust worker's queue set (§1.2): per namespace step + domain-event + DLQ queues, and orchestration's three. */
  async #createQueues(config: WorkerConfig, db: pg.Pool): Promise<void> {
    for (const namespace of this.#namespaces) {
      const queue = stepQueueName(namespace, config.queues.workerNamespace);
      const problem = queueNameProblem(queue);
      if (problem !== null) {
        // Upstream's router validates the step queue name it builds the same way.
        throw new ConfigError(
          'workerQueueNamespace (TASKER_WORKER_QUEUE_NAMESPACE)',
          `makes namespace ${JSON.stringify(namespace)}'s step queue ${queue}, which ${problem}`,
        );
      }
    }
    const queues = [
      ...this.#namespaces.flatMap((ns) => namespaceQueues(ns, config.queues)),
      ...orchestrationQueues(config.queues),
    ];
    await createQueues(db, queues, this.#logger);
  }

  /**
   * `/health/ready`: the database answers (the probe's check, at most one per second, on its own connection), the
   * worker is running, and the intake loop progressed recently.
   */
  readiness(): Promise<ReadinessReport> {
    return readinessReport({
      state: this.#state,
      config: this.#config,
      probes: this.#probes,
      runtime: this.#runtime,
      namespaces: this.#namespaces,
      startedAt: this.#startedAt,
    });
  }

  /**
   * Graceful stop: stop intake (LISTEN, poller), let in-flight steps finish within `graceMs` (default
   * `shutdownGraceMs`), then abort their signals so they are reported as retryable `handler_cancelled`
   * failures (never left `in_progress`), then close connections. Calling it again while stopping with a smaller
   * `graceMs` (e.g. 0 on a second signal) cancels right away. Idempotent.
   */
  stop(options: { graceMs?: number } = {}): Promise<void> {
    if (this.#state === 'idle') {
      this.#state = 'stopped';
      return Promise.resolve();
    }
    if (this.#state === 'stopped') return Promise.resolve();
    if (this.#stopping) {
      if (options.graceMs !== undefined && options.graceMs <= 0) this.#cancelRunning('stop requested again');
      return this.#stopping;
    }
    this.#stopping = (async () => {
      if (this.#starting) await this.#starting.catch(() => {});
      this.#state = 'stopping';
      await this.#drainAndTeardown(options.graceMs ?? this.#config?.shutdownGraceMs ?? 25_000);
      this.#state = 'stopped';
      this.#logger.info({}, 'worker stopped');
    })();
    return this.#stopping;
  }

  #cancelRunning(reason: string): void {
    if (this.#cancel.signal.aborted) return;
    if (this.#runningSteps.size > 0) {
      this.#logger.warn(
        { reason, step_uuids: [...this.#runningSteps] },
        'cancelling running steps; they will be reported as retryable failures',
      );
    }
    this.#cancel.abort(new Error(reason));
  }

  async #drainAndTeardown(graceMs: number): Promise<void> {
    const intake = this.#runtime?.intake;
    intake?.close();
    this.#removeSignalHandlers?.();
    this.#removeSignalHandlers = null;
    await Promise.all([this.#runtime?.listener?.stop(), this.#runtime?.poller.stop()]);
    if (intake) {
      const drained = intake.drained();
      const inTime = await Promise.race([
        drained.then(() => true),
        sleep(graceMs, this.#cancel.signal).then(() => false),
      ]);
      if (!inTime) {
        this.#cancelRunning(`shutdown grace period of ${graceMs} ms ended`);
        const finished = await Promise.race([
          drained.then(() => true),
          sleep(COMPLETION_DEADLINE_MS).then(() => false),
        ]);
        if (!finished) {
          this.#logger.error(
            { step_uuids: [...this.#runningSteps] },
            'completions did not finish in time; giving up (their leases lapse and another worker recovers them)',
          );
          this.#hardStop.abort();
          await drained;
        }
      }
    }
    await this.#teardown();
  }

  async #teardown(): Promise<void> {
    const runtime = this.#runtime;
    runtime?.intake.close();
    await runtime?.listener?.stop().catch(() => {});
    await runtime?.poller.stop().catch(() => {});
    await runtime?.leases.stop().catch(() => {});
    await this.#health?.close().catch(() => {});
    this.#health = null;
    this.metrics.sampleFrom(null);
    await Promise.all(this.#probes.map((p) => p.close()));
    this.#removeSignalHandlers?.();
    this.#removeSignalHandlers = null;
    const owned = this.#pools?.owned ?? [];
    if (this.#pools !== null) this.#pools.owned = [];
    await Promise.all(owned.map((p) => p.end().catch(() => {})));
  }
}
