/**
 * The logging surface core depends on. It is the subset of pino's API that core calls, so a pino logger can be
 * passed as is, and anything else (console adapters, test spies) only needs these five methods (docs/contributing.md
 * "API shape"). Field names follow upstream's structured logs: `namespace`, `task_uuid`, `step_uuid`,
 * `correlation_id`, `duration_ms`.
 */
export interface Logger {
  debug(obj: Record<string, unknown>, msg?: string): void;
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** A logger that discards everything; the default when none is injected. */
export const noopLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return noopLogger;
  },
};
