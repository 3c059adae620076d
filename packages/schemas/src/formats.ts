// String formats used by the schemas (docs/wire-types.md §1.2–§1.4). `uuid` is stricter than Rust's input: we
// only ever accept what uuid's serializer writes (lowercase, hyphenated), so what we emit is canonical.
import { isNaiveTimestamp, isUtcTimestamp } from './timestamps.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const WIRE_FORMATS = {
  uuid: (s: string): boolean => UUID.test(s),
  'utc-date-time': isUtcTimestamp,
  'naive-date-time': isNaiveTimestamp,
} as const;

export const FORMAT_MESSAGES: Readonly<Record<keyof typeof WIRE_FORMATS, string>> = {
  uuid: 'must be a lowercase hyphenated UUID (docs/wire-types.md §1.2)',
  'utc-date-time':
    'must be an RFC 3339 timestamp with Z or an offset, e.g. 2026-03-21T12:00:01.250Z (DateTime<Utc>, §1.3)',
  'naive-date-time': 'must be a timestamp with no zone, e.g. 2026-03-21T12:00:00.130 (NaiveDateTime, §1.4)',
};
