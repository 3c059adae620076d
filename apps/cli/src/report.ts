import type { ProgressEvent, TaskSnapshot } from '@tasker-bridge/dev-orchestrator';
import { stringifyJson } from '@tasker-bridge/schemas';
import type { Style } from './style.js';

type StepEvent = Extract<ProgressEvent, { kind: 'step' }>;
type LiveEvent = Extract<ProgressEvent, { kind: 'step' | 'task' }>;

/** Plain words for the step states a newcomer sees (docs/protocol.md §5.1). */
const STATE_WORDS: Record<string, string> = {
  pending: 'waiting for its dependencies',
  enqueued: 'queued for a worker',
  in_progress: 'running in the TypeScript worker',
  enqueued_for_orchestration: 'finished, result sent to orchestration',
  enqueued_as_error_for_orchestration: 'failed, error sent to orchestration',
  waiting_for_retry: 'failed retryably, waiting to be retried',
  complete: 'complete',
  error: 'failed for good',
};

export function colorState(style: Style, state: string): string {
  if (state === 'complete') return style.green(state);
  if (state === 'error' || state === 'blocked_by_failures' || state.includes('error'))
    return style.red(state);
  if (state === 'waiting_for_retry') return style.yellow(state);
  return state;
}

/** One line per transition as it happens, timed from the start of the task. */
export function liveLine(event: LiveEvent, startedAt: number, style: Style): string {
  const t = style.dim(`+${((Date.now() - startedAt) / 1000).toFixed(2)}s`);
  if (event.kind === 'task') return style.dim(`${t} task → ${event.to_state}`);
  const attempt =
    event.to_state === 'in_progress' && event.attempts !== null ? ` (attempt ${event.attempts})` : '';
  const words = STATE_WORDS[event.to_state];
  return `${t} ${style.cyan(event.step_name)} → ${colorState(style, event.to_state)}${attempt}${words === undefined ? '' : style.dim(`  ${words}`)}`;
}

/** Each step's progression, e.g. `pending → enqueued → in_progress → … → complete`. */
export function progressions(events: readonly LiveEvent[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const e of events) {
    if (e.kind !== 'step') continue;
    const list = map.get((e as StepEvent).step_name) ?? [];
    list.push(e.to_state);
    map.set(e.step_name, list);
  }
  return map;
}

function stepValue(results: unknown): unknown {
  return (results as { result?: unknown } | null)?.result;
}

function stepError(results: unknown): string | undefined {
  const error = (results as { error?: { message?: string; error_type?: string } | null } | null)?.error;
  return error ? `${error.error_type ?? 'error'}: ${error.message ?? ''}` : undefined;
}

/** Compact JSON, shortened for a terminal line. */
export function compact(value: unknown, max = 160): string {
  const text = stringifyJson(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The human summary of a finished task: one block per step with its states, attempts and result. */
export function renderSummary(snapshot: TaskSnapshot, events: readonly LiveEvent[], style: Style): string {
  const paths = progressions(events);
  const lines = [`${style.bold('Task')} ${snapshot.task_uuid}: ${colorState(style, snapshot.state)}`];
  for (const step of snapshot.steps) {
    const attempts = step.attempts ?? 0;
    lines.push(
      `  ${style.cyan(step.name)}  ${colorState(style, step.state)}  ${style.dim(`${attempts} attempt${attempts === 1 ? '' : 's'}`)}`,
    );
    const path = paths.get(step.name);
    if (path !== undefined) lines.push(`    ${style.dim(path.join(' → '))}`);
    const error = stepError(step.results);
    if (error !== undefined) lines.push(`    ${style.red(error)}`);
    else if (step.results !== null && step.results !== undefined)
      lines.push(`    result: ${compact(stepValue(step.results))}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The machine form printed by `--json`. */
export function snapshotJson(snapshot: TaskSnapshot, events: readonly LiveEvent[]): Record<string, unknown> {
  const paths = progressions(events);
  return {
    task_uuid: snapshot.task_uuid,
    state: snapshot.state,
    complete: snapshot.complete,
    steps: snapshot.steps.map((s) => ({
      name: s.name,
      state: s.state,
      attempts: s.attempts,
      transitions: paths.get(s.name) ?? [],
      result: stepValue(s.results) ?? null,
      error: (s.results as { error?: unknown } | null)?.error ?? null,
    })),
  };
}

/**
 * JSON indented by two spaces, with the data's exact integers (`bigint`s from the database, which JSON.stringify
 * cannot write): as `stringifyJson`, indented.
 */
export function prettyJson(value: unknown, indent = ''): string {
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  )
    return stringifyJson(value);
  const inner = `${indent}  `;
  const items = Array.isArray(value)
    ? value.map((v) => `${inner}${prettyJson(v ?? null, inner)}`)
    : Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${inner}${JSON.stringify(k)}: ${prettyJson(v, inner)}`);
  if (items.length === 0) return Array.isArray(value) ? '[]' : '{}';
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  return `${open}\n${items.join(',\n')}\n${indent}${close}`;
}
