import type { Logger } from '@tasker-bridge/core';
import {
  type ClaimOwner,
  claimMessages,
  type LeaseRequest,
  leaseAndClaimMessages,
  type TakenMessage,
} from './hydrate.js';
import type { QueuedMessage } from './intake.js';
import { type QueueRow, readMessage, readMessages } from './pgmq.js';
import type { PgmqInfo } from './pgmq-version.js';
import type { Queryable } from './sql/connections.js';
import { TemplateCache } from './template-cache.js';

/**
 * Taking messages (docs/protocol.md §3.3, §3.4, §4.2, §4.3): lease a batch of step messages (notified ones by
 * id, or the next visible ones), hydrate their steps and claim them, in as few round trips as the databases
 * allow:
 * - tasker and pgmq in one database: lease, hydration and claim in one statement (`leaseAndClaimMessages`);
 * - split databases (§0.4: no transaction spans the two): the lease read on the pgmq database (`pgmq.read`, or
 *   `tasker.pgmq_read_specific_message` for one notified message), then one hydrate-and-claim statement on the
 *   tasker database (`claimMessages`).
 * When the one-statement form fails as a whole, nothing was leased, and the batch is taken the split way, where a
 * statement failing for one message fails that message alone: one message that can never be claimed must not
 * stop the queue behind it.
 */

export interface TakerOptions {
  taskerDb: Queryable;
  /** The tasker pool itself when tasker and pgmq share a database. */
  pgmqDb: Queryable;
  owner: ClaimOwner;
  visibilityTimeoutSeconds: number;
  pgmq: PgmqInfo;
  logger: Logger;
}

export class MessageTaker {
  readonly #o: TakerOptions;
  readonly #templates = new TemplateCache();
  readonly #oneDatabase: boolean;

  constructor(options: TakerOptions) {
    this.#o = options;
    this.#oneDatabase = options.taskerDb === options.pgmqDb;
  }

  /** Leases, hydrates and claims up to `request.limit` messages. Throws only when nothing could be read. */
  async take(request: LeaseRequest): Promise<TakenMessage[]> {
    const { owner, visibilityTimeoutSeconds, pgmq } = this.#o;
    if (this.#oneDatabase) {
      try {
        return await leaseAndClaimMessages(
          this.#o.taskerDb,
          request,
          { ...owner, visibilityTimeoutSeconds, pgmq },
          this.#templates,
        );
      } catch (error) {
        this.#o.logger.warn(
          { queue: request.queue, error: (error as Error).message },
          'lease-and-claim failed; reading the messages first and claiming them one by one',
        );
      }
    }
    const leasedAt = performance.now();
    const rows = await this.#read(request);
    const messages = rows.slice(0, request.limit).map(
      (row): QueuedMessage => ({
        queue: request.queue,
        namespace: request.namespace,
        msgId: row.msgId,
        body: row.body,
        method: request.method,
        leasedAt,
      }),
    );
    return messages.length === 0 ? [] : claimMessages(this.#o.taskerDb, messages, owner, this.#templates);
  }

  async #read(request: LeaseRequest): Promise<QueueRow[]> {
    const vt = this.#o.visibilityTimeoutSeconds;
    const ids = request.msgIds;
    if (ids !== null && ids.length === 1) {
      // Exactly the notified message, or nothing when another worker took it.
      const row = await readMessage(this.#o.pgmqDb, request.queue, ids[0] as string, vt);
      return row === null ? [] : [row];
    }
    // A burst: whichever visible messages are oldest, not necessarily the notified ones; any notified message it
    // leaves is still visible, for the next read or the poller.
    return readMessages(this.#o.pgmqDb, request.queue, vt, ids === null ? request.limit : ids.length);
  }
}
