import type pg from 'pg';
import type { Logger } from './context.js';
import { createClient } from './db.js';

/**
 * A dedicated LISTEN connection (docs/protocol.md §3.1: channel `pgmq_message_ready.orchestration`, quoted
 * because of the dot). On error it reconnects with capped, jittered backoff, re-LISTENs and calls `onWake`
 * so the caller catches up with a read — an improvement on upstream, whose listener stops on the first error.
 */
export class NotificationListener {
  private client: pg.Client | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(
    private readonly databaseUrl: string,
    private readonly channels: string[],
    private readonly onWake: (channel: string, payload: string | undefined) => void,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = createClient(this.databaseUrl, 'tasker-bridge-dev-orchestrator-listener');
    client.on('error', (error) => this.onError(client, error));
    client.on('notification', (n) => this.onWake(n.channel, n.payload));
    await client.connect();
    for (const channel of this.channels) await client.query(`LISTEN "${channel.replaceAll('"', '""')}"`);
    this.client = client;
    this.failures = 0;
  }

  private onError(client: pg.Client, error: Error): void {
    if (this.stopped || client !== this.client) return;
    this.logger.warn({ err: error.message }, 'notification listener lost its connection; reconnecting');
    this.client = undefined;
    client.end().catch(() => {});
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = Math.min(10_000, 200 * 2 ** this.failures) * (0.5 + Math.random() / 2);
    this.failures += 1;
    this.retry = setTimeout(() => {
      this.connect()
        .then(() => this.onWake('reconnected', undefined))
        .catch((error: unknown) => {
          this.logger.warn({ err: (error as Error).message }, 'listener reconnect failed');
          this.scheduleReconnect();
        });
    }, delay);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }
}
