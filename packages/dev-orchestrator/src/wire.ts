/**
 * The parts of tasker's wire types this package reads (wire-types.md §4.4, §5, §6, §7, §12), typed as loosely
 * as orchestration reads them. Full types and validators live in `@tasker-bridge/schemas`.
 */

export type StepType = 'standard' | 'decision' | 'deferred_convergence' | 'batchable' | 'batch_worker';

export interface TemplateStep {
  name: string;
  description?: string | null;
  handler: {
    callable: string;
    method?: string | null;
    resolver?: string | null;
    initialization?: Record<string, unknown>;
  };
  type?: StepType;
  dependencies?: string[];
  retry?: { retryable?: boolean; max_attempts?: number };
  batch_config?: {
    batch_size: number;
    parallelism: number;
    cursor_field: string;
    worker_template: string;
    failure_strategy: string;
  } | null;
  [key: string]: unknown;
}

export interface Template {
  name: string;
  namespace_name: string;
  version: string;
  steps: TemplateStep[];
  [key: string]: unknown;
}

export interface StepResultDocument {
  step_uuid?: string;
  success?: boolean;
  result?: unknown;
  status?: string;
  metadata?: { retryable?: boolean; execution_time_ms?: number; [key: string]: unknown };
  error?: { message: string; retryable: boolean; [key: string]: unknown } | null;
  orchestration_metadata?: {
    headers: Record<string, string>;
    error_context?: string | null;
    backoff_hint?: { backoff_type: string; delay_seconds: number; context?: string | null } | null;
    custom: Record<string, unknown>;
  } | null;
}

export interface CursorConfig {
  batch_id: string;
  start_cursor: unknown;
  end_cursor: unknown;
  batch_size: number;
}
