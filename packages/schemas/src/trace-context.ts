/**
 * How W3C trace context travels from task creation to the task's steps (docs/wire-types.md §18.6). tasker 0.1.8
 * has no field for it: a step message carries only `task_uuid`, `step_uuid` and `correlation_id` (a UUID), and
 * upstream's worker makes up a trace id per step. The one place that goes from `POST /v1/tasks` to the hydrated
 * step unchanged, without affecting the task's identity (a hash of the named task and the context) or the
 * handler's input (the context), is the task's `tags`: a JSON array of strings stored as given and read back by
 * every worker with the task row. So the client adds `traceparent=<value>` (and `tracestate=<value>` when there
 * is one) to the tags, and the worker parents the step's span on it.
 *
 * Written by hand: W3C's `traceparent` is one fixed-width line; a library for it would be the OpenTelemetry SDK,
 * which these packages do not require.
 */

export const TRACEPARENT_TAG_PREFIX = 'traceparent=';
export const TRACESTATE_TAG_PREFIX = 'tracestate=';

/** A W3C `traceparent` split into its parts (version 00). */
export interface Traceparent {
  /** 32 lowercase hex digits, not all zero. */
  traceId: string;
  /** 16 lowercase hex digits, not all zero. */
  spanId: string;
  /** The trace flags byte (bit 0: sampled). */
  traceFlags: number;
}

export interface TaskTraceContext extends Traceparent {
  /** The W3C `tracestate` header value, if one was carried. */
  traceState: string | undefined;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** `00-<trace id>-<span id>-<flags>`. */
export function formatTraceparent(parent: Traceparent): string {
  return `00-${parent.traceId}-${parent.spanId}-${(parent.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/**
 * Parses a `traceparent` value as the W3C spec reads it: version `ff` and all-zero ids are invalid; a later
 * version may append fields after a dash, which are ignored. Null for anything else.
 */
export function parseTraceparent(value: string): Traceparent | null {
  const match = TRACEPARENT.exec(value.trim());
  if (match === null) return null;
  const [, version, traceId, spanId, flags, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return null;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return null;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16) };
}

/** The tags that carry `parent` (and `traceState` when non-empty) on a task. */
export function traceContextTags(parent: Traceparent, traceState?: string): string[] {
  const tags = [`${TRACEPARENT_TAG_PREFIX}${formatTraceparent(parent)}`];
  if (traceState !== undefined && traceState !== '') tags.push(`${TRACESTATE_TAG_PREFIX}${traceState}`);
  return tags;
}

/** Whether `tags` already carry a `traceparent` (a caller's own is kept, never replaced). */
export function hasTraceContextTag(tags: readonly string[]): boolean {
  return tags.some((tag) => tag.startsWith(TRACEPARENT_TAG_PREFIX));
}

/**
 * The trace context a task's `tags` carry (a task row's `tags` are any JSON: only an array of strings is read), or
 * null when there is none or it is malformed. The first `traceparent=` tag wins.
 */
export function traceContextFromTags(tags: unknown): TaskTraceContext | null {
  if (!Array.isArray(tags)) return null;
  const strings = tags.filter((t): t is string => typeof t === 'string');
  const parentTag = strings.find((t) => t.startsWith(TRACEPARENT_TAG_PREFIX));
  if (parentTag === undefined) return null;
  const parent = parseTraceparent(parentTag.slice(TRACEPARENT_TAG_PREFIX.length));
  if (parent === null) return null;
  const stateTag = strings.find((t) => t.startsWith(TRACESTATE_TAG_PREFIX));
  return { ...parent, traceState: stateTag?.slice(TRACESTATE_TAG_PREFIX.length) };
}
