import type { Logger } from '@tasker-bridge/core';
import type pg from 'pg';
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import { listenStatement } from './queues.js';

/**
 * The dedicated LISTEN connection (docs/protocol.md §3.2; docs/contributing.md "Postgres discipline"). One `pg.Client`
 * outside the pools, `error`/`end` handlers attached before LISTEN, every channel quoted. When the connection
 * dies (server restart, `pg_terminate_backend`, network loss caught by the periodic ping) it reconnects with
 * capped jittered backoff, re-LISTENs every channel and calls `onConnected(true)` so the worker catches up with a
 * poll: notifications sent while it was down are lost, the queue rows are not. Upstream's listener exits on the
 * first error and silently degrades to polling until restart (§3.2); this one recovers.
 */

export interface ListenerOptions {
  /** Creates a fresh, unconnected client (called for every (re)connection). */
  createClient: () => pg.Client;
  channels: readonly string[];
  onNotification: (channel: string, payload: string | undefined) => void;
  /** After every successful LISTEN of all channels; `reconnected` is false the first time. */
  onConnected: (reconnected: boolean) => void;
  logger: Logger;
  backoff?: BackoffPolicy;
  /** Liveness ping on the LISTEN connection. Default 15000 ms. */
  pingIntervalMs?: number;
}

export class NotificationListener {
  readonly #options: ListenerOptions;
  #client: pg.Client | null = null;
  #stopped = true;
  #connected = false;
  #everConnected = false;
  #attempt = 0;
  #reconnectTimer: NodeJS.Timeout | null = null;
  #pingTimer: NodeJS.Timeout | null = null;
  #connecting: Promise<void> | null = null;

  constructor(options: ListenerOptions) {
    this.#options = options;
  }

  /** Whether all channels are currently LISTENed. */
  get connected(): boolean {
    return this.#connected;
  }

  /** Connects (or schedules reconnection if the first attempt fails); resolves after the first attempt. */
  async start(): Promise<void> {
    if (!this.#stopped) return;
    this.#stopped = false;
    await this.#connect();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    this.#pingTimer = null;
    await this.#connecting?.catch(() => {});
    const client = this.#client;
    this.#client = null;
    this.#connected = false;
    if (client) await client.end().catch(() => {});
  }

  #connect(): Promise<void> {
    const attempt = this.#doConnect().finally(() => {
      this.#connecting = null;
    });
    this.#connecting = attempt;
    return attempt;
  }

  async #doConnect(): Promise<void> {
    const { logger, channels } = this.#options;
    const client = this.#options.createClient();
    this.#client = client;
    // Handlers first: an unhandled 'error' on a client crashes the process.
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client, new Error('LISTEN connection ended')));
    client.on('notification', (msg) => this.#options.onNotification(msg.channel, msg.payload));
    try {
      await client.connect();
      for (const channel of channels) await client.query(listenStatement(channel));
    } catch (error) {
      this.#lost(client, error as Error);
      return;
    }
    if (this.#stopped || this.#client !== client) {
      await client.end().catch(() => {});
      return;
    }
    const reconnected = this.#everConnected;
    this.#everConnected = true;
    this.#connected = true;
    this.#attempt = 0;
    logger.info(
      { channels },
      reconnected ? 'LISTEN connection re-established' : 'listening for notifications',
    );
    this.#startPing(client);
    this.#options.onConnected(reconnected);
  }

  #startPing(client: pg.Client): void {
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    const interval = this.#options.pingIntervalMs ?? 15_000;
    this.#pingTimer = setInterval(() => {
      if (this.#client !== client) return;
      client.query('SELECT 1').catch((error: Error) => this.#lost(client, error));
    }, interval);
    this.#pingTimer.unref();
  }

  #lost(client: pg.Client, error: Error): void {
    if (this.#client !== client) return; // an old client's late events
    this.#client = null;
    const wasConnected = this.#connected;
    this.#connected = false;
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    this.#pingTimer = null;
    client.removeAllListeners('notification');
    client.on('error', () => {}); // keep swallowing late errors of the dead client
    client.end().catch(() => {});
    if (this.#stopped) return;
    const delay = backoffDelay(this.#attempt++, this.#options.backoff ?? DEFAULT_BACKOFF);
    this.#options.logger[wasConnected ? 'warn' : 'debug'](
      { error: error.message, retry_in_ms: delay, attempt: this.#attempt },
      wasConnected ? 'LISTEN connection lost; reconnecting' : 'LISTEN connection failed; retrying',
    );
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      if (!this.#stopped) void this.#connect();
    }, delay);
    this.#reconnectTimer.unref();
  }
}
