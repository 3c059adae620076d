/**
 * How upstream's Rust code renders the values orchestration writes into transition metadata, so rows written
 * here read like rows written by tasker-orchestration.
 */

import { setMember, stringifyJson } from '@tasker-bridge/schemas';

/** chrono's `DateTime<Utc>::to_rfc3339()`: `+00:00` offset, fractional digits only when non-zero. */
export function rfc3339Now(date: Date = new Date()): string {
  const iso = date.toISOString(); // 2026-03-01T12:00:00.123Z
  const [seconds, millis] = iso.slice(0, -1).split('.');
  return millis === '000' ? `${seconds}+00:00` : `${seconds}.${millis}+00:00`;
}

/** chrono's `NaiveDateTime` as sqlx binds `Utc::now().naive_utc()` (used for `processed_at`). */
export function naiveUtcNow(date: Date = new Date()): string {
  return date.toISOString().slice(0, -1);
}

/** serde_json's compact output of a `Value` (keys sorted: serde_json without `preserve_order`; exact integers). */
export function serdeJson(value: unknown): string {
  return stringifyJson(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort())
      setMember(sorted, key, sortKeys((value as Record<string, unknown>)[key]));
    return sorted;
  }
  return value;
}

/**
 * serde's adjacently tagged enum (`#[serde(tag = "type", content = "data")]`) written with
 * `serde_json::to_string`: `type` first, then `data`; a `Value` payload has sorted keys.
 */
export function serdeTaggedEvent(event: { type: string; data?: unknown }): string {
  return 'data' in event
    ? `{"type":${JSON.stringify(event.type)},"data":${serdeJson(event.data)}}`
    : JSON.stringify({ type: event.type });
}

/** Rust's `{:?}` of a `String`. */
export function rustDebugString(text: string): string {
  return JSON.stringify(text);
}
