import { readFile } from 'node:fs/promises';
import { parseJsonText } from '@tasker-bridge/schemas';
import { UsageError } from './errors.js';

/**
 * `--context` accepts inline JSON (`'{"even_number": 6}'`), `@path` or a path to a JSON file; the task context
 * must be a JSON object.
 */
export async function readContext(arg: string | undefined): Promise<Record<string, unknown>> {
  if (arg === undefined) return {};
  const trimmed = arg.trim();
  let text = trimmed;
  let source = 'the --context value';
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) {
    const path = trimmed.startsWith('@') ? trimmed.slice(1) : trimmed;
    source = path;
    try {
      text = await readFile(path, 'utf8');
    } catch (cause) {
      throw new UsageError(`--context: cannot read ${path}: ${(cause as Error).message}`, { cause });
    }
  }
  let value: unknown;
  try {
    // As serde_json reads it: an id beyond 2^53 stays exact (a bigint), as the worker reads it back.
    value = parseJsonText(text);
  } catch (cause) {
    throw new UsageError(`--context: ${source} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UsageError(`--context: ${source} must be a JSON object`);
  return value as Record<string, unknown>;
}
