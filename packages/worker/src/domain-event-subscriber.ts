import {
  checkWithSchema,
  coerceError,
  type InferSchemaOutput,
  type Logger,
  noopLogger,
  type StandardSchemaV1,
} from '@tasker-bridge/core';
import { type DomainEvent, decodeParsed, formatUtcTimestamp, stringifyJson } from '@tasker-bridge/schemas';
import type pg from 'pg';
import { sleep } from './backoff.js';
import { ConfigError } from './config.js';
import { eventPattern } from './event-patterns.js';
import { archiveMessage, deadLetter, type QueueRow, readMessages, retryLater } from './pgmq.js';
import { domainEventDlqName, domainEventQueueName } from './queues.js';
import { createPool, type Queryable, redactUrl } from './sql/connections.js';

/**
 * A durable consumer of `{namespace}_domain_events` (docs/protocol.md §6.4), the queue every worker, upstream's
 * Rust worker included, sends `durable`/`broadcast` domain events to. Handlers are chosen by event-name pattern
 * (`event-patterns.ts`). Each message is read with a visibility timeout, so it is invisible to other subscribers
 * while its handlers run:
 *
 * - every matching handler succeeded → the message is archived (acknowledged);
 * - one threw → the message comes back after a backoff (1 s, 2 s, 4 s, … up to `maxBackoffMs`), unless this was
 *   delivery `maxAttempts`, or the failure is permanent (a `PermanentError`/`ValidationError`, a payload that fails
 *   its handler's schema, a body that is not a `DomainEvent`): then it is dead-lettered, sent to
 *   `{namespace}_domain_events_dlq` with the reason and archived, in one statement;
 * - no handler matches → archived: a queue has one consumer group, so subscribe every event you need in it.
 *
 * Delivery is at least once (a subscriber that dies mid-handler leaves the message to its visibility timeout, and a
 * retry runs every matching handler again): handlers must be idempotent (`event.event_id`).
 */

export interface SubscriberDelivery {
  /** 1 on the first delivery (pgmq's `read_ct`). */
  attempt: number;
  queue: string;
  msgId: string;
  /** Aborted when `stop()` gives up waiting. */
  signal: AbortSignal;
}

/** A `DomainEvent` whose business payload (`payload.payload`) has type `T`. */
export type TypedDomainEvent<T> = Omit<DomainEvent, 'payload'> & {
  payload: Omit<DomainEvent['payload'], 'payload'> & { payload: T };
};

export type DomainEventHandler<T = unknown> = (
  event: TypedDomainEvent<T>,
  delivery: SubscriberDelivery,
) => void | Promise<void>;

/** The dead-letter entry written to `{namespace}_domain_events_dlq`. */
export interface DeadLetter {
  /** The message as it was read (a `DomainEvent`, or whatever the queue held). */
  event: unknown;
  source_queue: string;
  source_msg_id: string;
  attempts: number;
  error: { name: string; message: string; permanent: boolean };
  dead_lettered_at: string;
}

export interface DomainEventSubscriberOptions {
  /** The pgmq database (where `{ns}_domain_events` lives). Or pass `pool`. */
  databaseUrl?: string | undefined;
  /** Use this pool instead of creating one (it is not closed by `stop()`). */
  pool?: pg.Pool | undefined;
  /** Namespaces whose `{ns}_domain_events` queues to consume. */
  namespaces: readonly string[];
  /** Deliveries of one message before it is dead-lettered. Default 5. */
  maxAttempts?: number;
  /** Invisibility of a message being handled; handlers must finish within it. Default 30 s. */
  visibilityTimeoutSeconds?: number;
  /** Backoff before the second delivery; doubled for each later one. Default 1000 ms (pgmq counts whole seconds). */
  backoffMs?: number;
  /** Cap of the backoff. Default 60 000 ms. */
  maxBackoffMs?: number;
  /** Pause between polls of an empty queue. Default 500 ms. */
  pollIntervalMs?: number;
  /** Messages read per queue per poll, handled concurrently. Default 10. */
  batchSize?: number;
  logger?: Logger;
  applicationName?: string;
}

interface Subscription {
  pattern: string;
  matches: RegExp;
  schema: StandardSchemaV1 | undefined;
  handler: DomainEventHandler<unknown>;
}

/** Why a delivery cannot succeed however often it is retried. */
class PermanentDeliveryError extends Error {
  override name = 'PermanentDeliveryError';
}

export class DomainEventSubscriber {
  readonly #options: DomainEventSubscriberOptions;
  readonly #subscriptions: Subscription[] = [];
  readonly #logger: Logger;
  #pool: pg.Pool | null = null;
  #ownsPool = false;
  #running: Promise<void> | null = null;
  readonly #stop = new AbortController();
  readonly #abortHandlers = new AbortController();
  /** Counters since `start()`. */
  readonly stats = { handled: 0, retried: 0, deadLettered: 0, unmatched: 0 };

  constructor(options: DomainEventSubscriberOptions) {
    if (options.databaseUrl === undefined && options.pool === undefined) {
      throw new ConfigError('databaseUrl', 'or pool is required for a DomainEventSubscriber');
    }
    if (options.namespaces.length === 0)
      throw new ConfigError('namespaces', 'must name at least one namespace');
    for (const [name, value] of Object.entries({
      maxAttempts: options.maxAttempts,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
      batchSize: options.batchSize,
    })) {
      if (value !== undefined && (!Number.isInteger(value) || value < 1))
        throw new ConfigError(name, `must be a positive integer, got ${value}`);
    }
    this.#options = options;
    this.#logger = options.logger ?? noopLogger;
  }

  /**
   * Handles the events whose name matches `pattern`. With a `payload` schema (any Standard Schema), the business
   * payload is checked before the handler runs and typed by it; a payload that fails is dead-lettered at once.
   */
  on(pattern: string, handler: DomainEventHandler<unknown>): this;
  on<S extends StandardSchemaV1>(
    pattern: string,
    options: { payload: S },
    handler: DomainEventHandler<InferSchemaOutput<S>>,
  ): this;
  on(
    pattern: string,
    optionsOrHandler: { payload: StandardSchemaV1 } | DomainEventHandler<unknown>,
    maybeHandler?: DomainEventHandler<never>,
  ): this {
    const handler = (typeof optionsOrHandler === 'function' ? optionsOrHandler : maybeHandler) as
      | DomainEventHandler<unknown>
      | undefined;
    if (handler === undefined) throw new TypeError(`on('${pattern}'): a handler is required`);
    this.#subscriptions.push({
      pattern,
      matches: eventPattern(pattern),
      schema: typeof optionsOrHandler === 'function' ? undefined : optionsOrHandler.payload,
      handler,
    });
    return this;
  }

  /** Starts polling; resolves once the loop runs. */
  async start(): Promise<void> {
    if (this.#running !== null) return;
    if (this.#options.pool !== undefined) this.#pool = this.#options.pool;
    else {
      const url = this.#options.databaseUrl as string;
      this.#pool = createPool({
        connectionString: url,
        applicationName: this.#options.applicationName ?? 'tasker-bridge-event-subscriber',
        max: 2 + Math.ceil((this.#options.batchSize ?? 10) / 5),
        connectionTimeoutMillis: 10_000,
        onError: (error) =>
          this.#logger.warn(
            { error: error.message, database: redactUrl(url) },
            'idle database connection lost',
          ),
      });
      this.#ownsPool = true;
    }
    this.#running = this.#loop();
    this.#logger.info(
      { namespaces: this.#options.namespaces, patterns: this.#subscriptions.map((s) => s.pattern) },
      'domain event subscriber started',
    );
  }

  /** Stops polling, lets running handlers finish (at most `graceMs`, then aborts their signal), closes the pool. */
  async stop(options: { graceMs?: number } = {}): Promise<void> {
    this.#stop.abort();
    const running = this.#running;
    if (running === null) return;
    const finished = await Promise.race([
      running.then(() => true),
      sleep(options.graceMs ?? 10_000).then(() => false),
    ]);
    if (!finished) {
      this.#abortHandlers.abort(new Error('subscriber stopped'));
      await running;
    }
    if (this.#ownsPool) await this.#pool?.end().catch(() => {});
    this.#logger.info({ ...this.stats }, 'domain event subscriber stopped');
  }

  async #loop(): Promise<void> {
    const queues = this.#options.namespaces.map(domainEventQueueName);
    let failures = 0;
    while (!this.#stop.signal.aborted) {
      let handled = 0;
      try {
        for (const queue of queues) handled += await this.#poll(queue);
        failures = 0;
      } catch (error) {
        // The database is away: back off (capped) and keep polling; messages wait in the queue meanwhile.
        failures += 1;
        this.#logger.warn({ error: (error as Error).message }, 'domain event poll failed; retrying');
        await sleep(Math.min(30_000, 250 * 2 ** Math.min(failures, 7)), this.#stop.signal);
        continue;
      }
      if (handled === 0) await sleep(this.#options.pollIntervalMs ?? 500, this.#stop.signal);
    }
  }

  async #poll(queue: string): Promise<number> {
    const db = this.#pool as pg.Pool;
    const rows = await readMessages(
      db,
      queue,
      this.#options.visibilityTimeoutSeconds ?? 30,
      this.#options.batchSize ?? 10,
    );
    await Promise.all(rows.map((row) => this.#deliver(db, queue, row)));
    return rows.length;
  }

  async #deliver(db: Queryable, queue: string, row: QueueRow): Promise<void> {
    const attempt = row.readCount;
    const ids = { queue, msg_id: row.msgId, attempt };
    let event: DomainEvent | undefined;
    try {
      try {
        event = decodeParsed('DomainEvent', row.body);
      } catch (error) {
        throw new PermanentDeliveryError(`not a DomainEvent: ${(error as Error).message}`);
      }
      const matching = this.#subscriptions.filter((s) => s.matches.test(event?.event_name ?? ''));
      if (matching.length === 0) {
        this.stats.unmatched += 1;
        this.#logger.debug({ ...ids, event_name: event.event_name }, 'no handler for domain event; archived');
        await archiveMessage(db, queue, row.msgId);
        return;
      }
      const delivery = { attempt, queue, msgId: row.msgId, signal: this.#abortHandlers.signal };
      for (const subscription of matching) await this.#invoke(subscription, event, delivery);
      await archiveMessage(db, queue, row.msgId);
      this.stats.handled += 1;
    } catch (thrown) {
      await this.#failed(db, queue, row, attempt, thrown, event);
    }
  }

  async #invoke(subscription: Subscription, event: DomainEvent, delivery: SubscriberDelivery): Promise<void> {
    let payload: unknown = event.payload.payload;
    if (subscription.schema !== undefined) {
      const check = await checkWithSchema(subscription.schema, payload);
      if (!check.ok) {
        const issues = check.issues.map((i) => `payload${i.path}: ${i.message}`).join('; ');
        throw new PermanentDeliveryError(`'${subscription.pattern}' rejects the payload: ${issues}`);
      }
      payload = check.value;
    }
    await subscription.handler({ ...event, payload: { ...event.payload, payload } }, delivery);
  }

  async #failed(
    db: Queryable,
    queue: string,
    row: QueueRow,
    attempt: number,
    thrown: unknown,
    event: DomainEvent | undefined,
  ): Promise<void> {
    const permanent = thrown instanceof PermanentDeliveryError || coerceError(thrown).retryable === false;
    const error = thrown instanceof Error ? thrown : coerceError(thrown);
    const fields = {
      queue,
      msg_id: row.msgId,
      attempt,
      event_name: event?.event_name,
      error: error.message,
    };
    const maxAttempts = this.#options.maxAttempts ?? 5;
    if (!permanent && attempt < maxAttempts) {
      const base = this.#options.backoffMs ?? 1_000;
      const delayMs = Math.min(this.#options.maxBackoffMs ?? 60_000, base * 2 ** (attempt - 1));
      await retryLater(db, queue, row.msgId, Math.ceil(delayMs / 1000));
      this.stats.retried += 1;
      this.#logger.warn({ ...fields, retry_in_ms: delayMs }, 'domain event handler failed; will retry');
      return;
    }
    const namespace = queue.slice(0, -'_domain_events'.length);
    const entry: DeadLetter = {
      event: row.body,
      source_queue: queue,
      source_msg_id: row.msgId,
      attempts: attempt,
      error: { name: error.name, message: error.message, permanent },
      dead_lettered_at: formatUtcTimestamp(new Date()),
    };
    // stringifyJson: the event may hold integers beyond 2^53, read exactly (bigint), which JSON.stringify refuses.
    await deadLetter(db, domainEventDlqName(namespace), stringifyJson(entry), queue, row.msgId);
    this.stats.deadLettered += 1;
    this.#logger.error(
      { ...fields, dlq: domainEventDlqName(namespace), permanent },
      'domain event dead-lettered',
    );
  }
}
