import type { StepExecutionResult } from '@tasker-bridge/schemas';
import { validate } from '@tasker-bridge/schemas';
import { expect } from 'vitest';
import type { Logger } from '../src/index.js';

/** Asserts that a result is a StepExecutionResult the schemas package (and so Rust's serde) accepts. */
export function expectWireValid(result: StepExecutionResult | undefined): StepExecutionResult {
  expect(result).toBeDefined();
  const checked = validate('StepExecutionResult', result);
  expect(checked.ok ? [] : checked.issues).toEqual([]);
  return result as StepExecutionResult;
}

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string | undefined;
}

/** A Logger that records every call with its accumulated bindings. */
export function recordingLogger(
  entries: LogEntry[] = [],
  bindings: Record<string, unknown> = {},
): Logger & {
  entries: LogEntry[];
} {
  const log =
    (level: LogEntry['level']) =>
    (obj: Record<string, unknown>, msg?: string): void => {
      entries.push({ level, obj: { ...bindings, ...obj }, msg });
    };
  return {
    entries,
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (more) => recordingLogger(entries, { ...bindings, ...more }),
  };
}
