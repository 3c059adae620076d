import type { Logger } from '@tasker-bridge/core';
import type pg from 'pg';
import { run, sqlState } from './sql/connections.js';
import { PING, type Statement } from './sql/statements.js';

/**
 * The health server's own view of one database (README "Operations", "Health that cannot hurt"). What `/health/ready`
 * and `/metrics` read from the database runs here, never on the step pool: on a dedicated connection, opened on
 * first use and replaced after a failure, with a time limit per statement; and each kind of read runs at most
 * once per second whatever the request rate (`Throttled`), so a flood of probes from a load balancer or a scraper
 * cannot take connections or CPU from the steps.
 *
 * A failed check is reported in a fixed wording with the error's code (SQLSTATE or Node's `ECONNREFUSED`…),
 * never the driver's message, which can name hosts, users and databases; the message goes to the log once
 * when the database stops answering.
 */

export interface ProbeResult {
  ok: boolean;
  /** Epoch ms when this check started. */
  checkedAt: number;
  durationMs: number;
  /** Why it failed, in the probe's own words; null when ok. */
  problem: string | null;
}

/**
 * One read at a time, and at most one started per `minIntervalMs`: a caller within that window of the last start
 * gets that read's promise (in flight or settled).
 */
export class Throttled<T> {
  readonly #minIntervalMs: number;
  readonly #read: () => Promise<T>;
  #last: { startedAt: number; value: Promise<T>; settled: boolean } | null = null;

  constructor(minIntervalMs: number, read: () => Promise<T>) {
    this.#minIntervalMs = minIntervalMs;
    this.#read = read;
  }

  get(now = performance.now()): Promise<T> {
    const last = this.#last;
    if (last !== null && (!last.settled || now - last.startedAt < this.#minIntervalMs)) return last.value;
    const entry = { startedAt: now, value: this.#read(), settled: false };
    entry.value.then(
      () => {
        entry.settled = true;
      },
      () => {
        entry.settled = true;
      },
    );
    this.#last = entry;
    return entry.value;
  }
}

export interface DatabaseProbeOptions {
  /** Names the database in readiness messages and logs (`database`, `tasker database`, `pgmq database`). */
  label: string;
  /** A new unconnected client for this database (never a pool's). */
  createClient: () => pg.Client;
  /** Per statement, connecting included. */
  timeoutMs: number;
  /** At most one check per this many ms. Default 1000. */
  minIntervalMs?: number;
  logger: Logger;
}

export class DatabaseProbe {
  readonly #o: DatabaseProbeOptions;
  readonly #check: Throttled<ProbeResult>;
  #client: Promise<pg.Client> | null = null;
  #lastOk = true;
  #closed = false;

  constructor(options: DatabaseProbeOptions) {
    this.#o = options;
    this.#check = new Throttled(options.minIntervalMs ?? 1000, () => this.#ping());
  }

  get label(): string {
    return this.#o.label;
  }

  /** Whether the database answers: the last check if it started less than a second ago, else a new one. Never rejects. */
  check(): Promise<ProbeResult> {
    return this.#check.get();
  }

  /**
   * Runs a statement on the probe's connection, within the time limit. Rejects with a `ProbeError`. A connection
   * that died while idle (a server restart) fails its next statement: that one is tried once more on a new
   * connection, so a database that is back is not reported down.
   */
  async query<Row>(stmt: Statement<Row>, params: readonly unknown[]): Promise<Row[]> {
    const reused = this.#client !== null;
    try {
      return await this.#queryOnce(stmt, params);
    } catch (error) {
      if (!reused || (error as ProbeError).code === 'timeout') throw error;
      return this.#queryOnce(stmt, params);
    }
  }

  async #queryOnce<Row>(stmt: Statement<Row>, params: readonly unknown[]): Promise<Row[]> {
    if (this.#closed) throw new ProbeError('was not checked: the worker stopped', undefined);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ProbeError(`did not answer within ${this.#o.timeoutMs} ms`, 'timeout')),
        this.#o.timeoutMs,
      );
    });
    try {
      return await Promise.race([this.#connected().then((client) => run(client, stmt, params)), deadline]);
    } catch (error) {
      // A connection that failed or hangs is not reused: the next read opens a new one.
      this.#drop();
      if (error instanceof ProbeError) throw error;
      throw new ProbeError('did not answer', errorCode(error), error);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#drop();
  }

  async #ping(): Promise<ProbeResult> {
    const checkedAt = Date.now();
    const started = performance.now();
    try {
      await this.query(PING, []);
      if (!this.#lastOk)
        this.#o.logger.info({ database: this.#o.label }, 'health probe: database answers again');
      this.#lastOk = true;
      return { ok: true, checkedAt, durationMs: performance.now() - started, problem: null };
    } catch (error) {
      const probe = error as ProbeError;
      if (this.#lastOk) {
        this.#o.logger.warn(
          {
            database: this.#o.label,
            code: probe.code,
            error: (probe.cause as Error | undefined)?.message ?? probe.message,
          },
          'health probe: database does not answer; /health/ready reports not ready',
        );
      }
      this.#lastOk = false;
      const code = probe.code === undefined || probe.code === 'timeout' ? '' : ` (${probe.code})`;
      return {
        ok: false,
        checkedAt,
        durationMs: performance.now() - started,
        problem: `${this.#o.label} ${probe.message}${code}`,
      };
    }
  }

  #connected(): Promise<pg.Client> {
    if (this.#client !== null) return this.#client;
    const client = this.#o.createClient();
    const connecting = client.connect().then(() => client);
    // A connection that breaks while idle must not crash the process; the next read reconnects.
    client.on('error', () => {
      if (this.#client === connecting) this.#drop();
    });
    this.#client = connecting;
    connecting.catch(() => {});
    return connecting;
  }

  #drop(): void {
    const client = this.#client;
    this.#client = null;
    client?.then((c) => c.end()).catch(() => {});
  }
}

/** A failed probe read: `message` is the probe's own wording, `code` the error's code if it has a safe one. */
export class ProbeError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ProbeError';
  }
}

/** A SQLSTATE (`57P01`) or a Node error code (`ECONNREFUSED`): identifiers, safe to show; anything else is dropped. */
function errorCode(error: unknown): string | undefined {
  const code = sqlState(error);
  return code !== undefined && /^[A-Z0-9_]{2,32}$/.test(code) ? code : undefined;
}
