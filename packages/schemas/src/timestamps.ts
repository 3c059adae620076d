// chrono's two timestamp shapes (docs/wire-types.md §1.3, §1.4). Both print the sub-second part as the shortest
// of 0, 3, 6 or 9 digits that is exact ("AutoSi"); DateTime<Utc> ends in `Z`, NaiveDateTime has no zone.
// The encoders canonicalise to exactly what chrono prints, so our bytes equal Rust's re-encoding.

const UTC_INPUT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;
const NAIVE_INPUT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Fraction digits as chrono's AutoSi prints them: "", ".mmm", ".uuuuuu" or ".nnnnnnnnn". */
function autoSiFraction(nanos: number): string {
  if (nanos === 0) return '';
  if (nanos % 1_000_000 === 0) return `.${pad(nanos / 1_000_000, 3)}`;
  if (nanos % 1_000 === 0) return `.${pad(nanos / 1_000, 6)}`;
  return `.${pad(nanos, 9)}`;
}

function civil(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('invalid Date');
  return (
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}` +
    `T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}` +
    autoSiFraction(date.getUTCMilliseconds() * 1_000_000)
  );
}

/** A `DateTime<Utc>` exactly as chrono's serde writes it: `2026-03-21T12:00:01.250Z`. */
export function formatUtcTimestamp(date: Date): string {
  return `${civil(date)}Z`;
}

/** A `NaiveDateTime` (a `timestamp without time zone` column holding UTC): `2026-03-21T12:00:01.250`. */
export function formatNaiveTimestamp(date: Date): string {
  return civil(date);
}

/** chrono's `to_rfc3339()` form, `+00:00` instead of `Z` (what Postgres-built JSON also carries). */
export function formatRfc3339Offset(date: Date): string {
  return `${civil(date)}+00:00`;
}

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanos: number;
}

function parts(m: RegExpExecArray): Parts | undefined {
  const [, y, mo, d, h, mi, s, frac] = m;
  const p: Parts = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: Number(h),
    minute: Number(mi),
    second: Number(s),
    nanos: frac ? Number(frac.padEnd(9, '0')) : 0,
  };
  const probe = new Date(Date.UTC(p.year, p.month - 1, p.day));
  const dayOk =
    probe.getUTCFullYear() === p.year && probe.getUTCMonth() === p.month - 1 && probe.getUTCDate() === p.day;
  // chrono accepts a leap second (:60) only as a representation; we accept it too and leave it alone.
  if (!dayOk || p.hour > 23 || p.minute > 59 || p.second > 60) return undefined;
  return p;
}

export function isUtcTimestamp(text: string): boolean {
  const m = UTC_INPUT.exec(text);
  return m !== null && parts(m) !== undefined;
}

export function isNaiveTimestamp(text: string): boolean {
  const m = NAIVE_INPUT.exec(text);
  return m !== null && parts(m) !== undefined;
}

/**
 * Rewrites an RFC 3339 timestamp the way chrono re-serialises a parsed `DateTime<Utc>`: offset folded into
 * UTC, `Z`, AutoSi fraction. Returns the input unchanged when it is not RFC 3339 (validation reports it).
 */
export function canonicalUtcTimestamp(text: string): string {
  const m = UTC_INPUT.exec(text);
  const p = m && parts(m);
  if (!m || !p || p.second === 60) return text;
  const zone = m[8] as string;
  const offsetMinutes =
    zone === 'Z'
      ? 0
      : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  const seconds = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute - offsetMinutes, p.second);
  const shifted = new Date(seconds);
  if (shifted.getUTCFullYear() < 0 || shifted.getUTCFullYear() > 9999) return text;
  return `${civil(shifted).slice(0, 19)}${autoSiFraction(p.nanos)}Z`;
}

/** Rewrites a NaiveDateTime's fraction to chrono's AutoSi digits; anything else is returned unchanged. */
export function canonicalNaiveTimestamp(text: string): string {
  const m = NAIVE_INPUT.exec(text);
  const p = m && parts(m);
  if (!m || !p) return text;
  return `${text.slice(0, 19)}${autoSiFraction(p.nanos)}`;
}
