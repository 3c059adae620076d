import type { OrchestrationMetadata } from '@tasker-bridge/schemas';
import type { OrchestrationContext } from './context.js';
import { inTransaction } from './db.js';

/**
 * Orchestration's backoff (docs/protocol.md §5.2; upstream `orchestration/backoff_calculator.rs` fed by
 * `result_processing/metadata_processor.rs`): a `Retry-After` header (integer seconds or an RFC 2822 date)
 * wins, capped at the maximum; otherwise `base * multiplier^attempts`, capped, ± jitter. The result is stored
 * as `backoff_request_seconds` with `last_attempted_at = NOW()`, which `tasker.calculate_step_next_retry_time`
 * turns into the step's next eligible time. Backoff hints other than `Retry-After` are recorded upstream but
 * never change the delay, so they are ignored here too.
 */

export interface BackoffConfig {
  /** `common.backoff.default_backoff_seconds[0]`, upstream default 1. */
  baseDelaySeconds: number;
  /** `common.backoff.max_backoff_seconds`, upstream default 60. */
  maxDelaySeconds: number;
  /** `common.backoff.backoff_multiplier`, upstream default 2.0. */
  multiplier: number;
  /** `common.backoff.jitter_enabled`, upstream default true. */
  jitterEnabled: boolean;
  /** `common.backoff.jitter_max_percentage`, upstream default 0.1. */
  maxJitter: number;
}

export const DEFAULT_BACKOFF: BackoffConfig = {
  baseDelaySeconds: 1,
  maxDelaySeconds: 60,
  multiplier: 2,
  jitterEnabled: true,
  maxJitter: 0.1,
};

const U32_MAX = 4_294_967_295;

/** The `Retry-After` header (any case) as whole seconds, or undefined when absent or unusable. */
export function retryAfterSeconds(
  headers: Record<string, string>,
  now: Date = new Date(),
): number | undefined {
  const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === 'retry-after');
  if (!entry) return undefined;
  const value = entry[1];
  if (/^\+?\d+$/.test(value)) {
    const seconds = Number(value);
    if (seconds <= U32_MAX) return seconds; // Rust `parse::<u32>()`
  }
  // chrono's `parse_from_rfc2822`; Date.parse accepts RFC 2822 dates ("Wed, 21 Oct 2026 07:28:00 GMT").
  if (/^[A-Za-z]{3},\s/.test(value) || /\d{1,2}\s+[A-Za-z]{3}\s+\d{4}/.test(value)) {
    const at = Date.parse(value);
    if (!Number.isNaN(at)) {
      const diff = Math.trunc((at - now.getTime()) / 1000);
      if (diff > 0) return diff;
    }
  }
  return undefined;
}

export function exponentialDelaySeconds(
  config: BackoffConfig,
  attempts: number,
  random: () => number = Math.random,
): number {
  const raw = config.baseDelaySeconds * config.multiplier ** attempts;
  let delay = Math.trunc(Math.min(raw, config.maxDelaySeconds));
  if (config.jitterEnabled) {
    const range = Math.trunc(delay * config.maxJitter);
    if (range > 0) {
      const jitter = Math.floor(random() * (range + 1));
      delay = random() < 0.5 ? delay + jitter : Math.max(0, delay - jitter);
    }
  }
  return delay;
}

/** Applies backoff for a result that carries `orchestration_metadata`; returns the stored delay. */
export async function applyBackoff(
  ctx: OrchestrationContext,
  stepUuid: string,
  metadata: OrchestrationMetadata,
): Promise<number> {
  const requested = retryAfterSeconds(metadata.headers);
  let delay: number;
  if (requested !== undefined) {
    delay = Math.min(requested, ctx.backoff.maxDelaySeconds);
  } else {
    const { rows } = await ctx.pool.query<{ attempts: number | null }>(
      'SELECT attempts FROM tasker.workflow_steps WHERE workflow_step_uuid = $1::uuid',
      [stepUuid],
    );
    delay = exponentialDelaySeconds(ctx.backoff, rows[0]?.attempts ?? 0);
  }
  await inTransaction(ctx.pool, async (client) => {
    await client.query(
      'SELECT workflow_step_uuid FROM tasker.workflow_steps WHERE workflow_step_uuid = $1::uuid FOR UPDATE',
      [stepUuid],
    );
    await client.query(
      `UPDATE tasker.workflow_steps SET backoff_request_seconds = $1, last_attempted_at = NOW(), updated_at = NOW()
        WHERE workflow_step_uuid = $2::uuid`,
      [delay, stepUuid],
    );
  });
  return delay;
}
