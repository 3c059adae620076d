/**
 * How upstream's Rust code renders the values orchestration writes into transition metadata, so rows written
 * here read like rows written by tasker-orchestration. Timestamps are schemas' chrono forms
 * (`formatRfc3339Offset`, `formatNaiveTimestamp`); sorted JSON is schemas' `stringifySortedJson`.
 */

import { stringifySortedJson } from '@tasker-bridge/schemas';

/**
 * serde's adjacently tagged enum (`#[serde(tag = "type", content = "data")]`) written with
 * `serde_json::to_string`: `type` first, then `data`; a `Value` payload has its keys in Rust's order.
 */
export function serdeTaggedEvent(event: { type: string; data?: unknown }): string {
  return 'data' in event
    ? `{"type":${JSON.stringify(event.type)},"data":${stringifySortedJson(event.data)}}`
    : JSON.stringify({ type: event.type });
}

/** Rust's `{:?}` of a `String`. */
export function rustDebugString(text: string): string {
  return JSON.stringify(text);
}
