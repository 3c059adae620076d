// JSON text with serde_json's number rules (docs/wire-types.md §1.5). JSON.parse rounds integers beyond 2^53; Rust's
// i64/u64 fields and serde_json::Value do not. Decoding reads what serde_json reads:
// - an integer literal that fits i64 or u64 is exact: a `number` within ±(2^53 − 1), else a `bigint`;
// - an integer literal beyond 64 bits, and every literal with a fraction or an exponent, is an f64 (`number`).
//   PostgreSQL prints a jsonb number without an exponent (`1.5e300` comes back as 301 digits), so both forms
//   occur. A value beyond f64 (`1e400`) is Infinity, as JSON.parse gives; serde_json rejects it, and so do our
//   encoders (NaN and Infinity are not JSON).
// Object members are own data properties, `__proto__` included (JSON.parse makes them so too).
//
// JSON.parse reads the text first (native, and what almost every document needs). Only if its result holds an
// integral number beyond ±(2^53 − 1) — which every rounded integer literal becomes — is the text read again by a
// small parser of our own. Walking the parsed tree for such numbers costs a fraction of a regex scan of the
// text. Why our own parser: libraries that keep big integers make every integer a bigint or a wrapper object, or
// split bigint from number by digit count rather than by Rust's 64-bit ranges; and JSON.parse shows a reviver
// the source text only from Node 21.
import { setMember } from './json-value.js';
import { compareKeys } from './key-order.js';

/** A JSON number; groups: fraction, exponent. */
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
/** A string without escapes or control characters; group: its content. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON forbids raw control characters in strings.
const PLAIN_STRING = /"([^"\\\u0000-\u001f]*)"/y;
/** A string with valid escapes; JSON.parse then resolves them. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON forbids raw control characters in strings.
const ESCAPED_STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const I64_MIN = -(2n ** 63n);
const U64_MAX = 2n ** 64n - 1n;

export function parseJsonText(text: string): unknown {
  const parsed: unknown = JSON.parse(text);
  return holdsUnsafeInteger(parsed) ? new ExactParser(text).document() : parsed;
}

/** True when JSON.parse may have rounded an integer literal (or read a float of integral value beyond 2^53). */
function holdsUnsafeInteger(value: unknown): boolean {
  if (typeof value === 'number') return Number.isInteger(value) && !Number.isSafeInteger(value);
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (holdsUnsafeInteger(item)) return true;
    return false;
  }
  for (const key in value) if (holdsUnsafeInteger((value as Record<string, unknown>)[key])) return true;
  return false;
}

/** The number an integer literal stands for, as serde_json reads it (see the top of this file). */
function integer(literal: string): number | bigint {
  // Up to 15 characters, sign included, is always a safe integer (2^53 has 16 digits).
  if (literal.length < 16) return Number(literal);
  const big = BigInt(literal);
  if (big >= -SAFE_MAX && big <= SAFE_MAX) return Number(big);
  if (big >= I64_MIN && big <= U64_MAX) return big;
  return Number(literal);
}

/** Reads only text JSON.parse accepted (see `parseJsonText`); its syntax checks guard the parser itself. */
class ExactParser {
  private i = 0;
  constructor(private readonly s: string) {}

  document(): unknown {
    const v = this.value();
    this.ws();
    if (this.i !== this.s.length) this.fail('unexpected trailing input');
    return v;
  }

  private fail(reason: string): never {
    throw new SyntaxError(`${reason} at position ${this.i}`);
  }

  private ws(): void {
    const s = this.s;
    for (;;) {
      const c = s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.i++;
      else return;
    }
  }

  private word(word: string, value: boolean | null): boolean | null {
    if (!this.s.startsWith(word, this.i)) this.fail('unexpected token');
    this.i += word.length;
    return value;
  }

  private value(): unknown {
    this.ws();
    switch (this.s.charCodeAt(this.i)) {
      case 0x7b: // {
        return this.object();
      case 0x5b: // [
        return this.array();
      case 0x22: // "
        return this.string();
      case 0x74: // t
        return this.word('true', true);
      case 0x66: // f
        return this.word('false', false);
      case 0x6e: // n
        return this.word('null', null);
      default:
        return this.number();
    }
  }

  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.i++;
    this.ws();
    if (this.s.charCodeAt(this.i) === 0x7d) {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s.charCodeAt(this.i) !== 0x22) this.fail('expected a key');
      const key = this.string();
      this.ws();
      if (this.s.charCodeAt(this.i) !== 0x3a) this.fail('expected ":"');
      this.i++;
      setMember(out, key, this.value());
      this.ws();
      const c = this.s.charCodeAt(this.i++);
      if (c === 0x7d) return out;
      if (c !== 0x2c) this.fail('expected "," or "}"');
    }
  }

  private array(): unknown[] {
    const out: unknown[] = [];
    this.i++;
    this.ws();
    if (this.s.charCodeAt(this.i) === 0x5d) {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.ws();
      const c = this.s.charCodeAt(this.i++);
      if (c === 0x5d) return out;
      if (c !== 0x2c) this.fail('expected "," or "]"');
    }
  }

  private string(): string {
    PLAIN_STRING.lastIndex = this.i;
    const plain = PLAIN_STRING.exec(this.s);
    if (plain !== null) {
      this.i = PLAIN_STRING.lastIndex;
      return plain[1] as string;
    }
    ESCAPED_STRING.lastIndex = this.i;
    const escaped = ESCAPED_STRING.exec(this.s);
    if (escaped === null) this.fail('bad string');
    this.i = ESCAPED_STRING.lastIndex;
    return JSON.parse(escaped[0]) as string;
  }

  private number(): number | bigint {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (m === null) this.fail('unexpected token');
    this.i = NUMBER.lastIndex;
    return m[1] === undefined && m[2] === undefined ? integer(m[0]) : Number(m[0]);
  }
}

/**
 * JSON text as serde_json writes a Value, for canonical trees (canonical.ts) and any other JSON data: a bigint is
 * an integer literal; a number that is integral but beyond ±(2^53 − 1) is not an exact integer, so it is written
 * with `.0` and Rust reads it as f64 (as MessagePack does). Own `__proto__` members are written like any other.
 * Otherwise as JSON.stringify: `toJSON` is applied, `undefined` members are dropped and become null in arrays.
 */
export function stringifyJson(value: unknown): string {
  return write(value, false) ?? 'null';
}

/**
 * `stringifyJson` with every object's keys in Rust's order (UTF-8 bytes, `compareKeys`): the text serde_json
 * writes for a `Value`, whose objects are BTreeMaps (serde_json without `preserve_order`). What the worker and
 * the dev orchestrator write into transition metadata, so their rows read as Rust's do (docs/protocol.md §4.6).
 */
export function stringifySortedJson(value: unknown): string {
  return write(value, true) ?? 'null';
}

function write(value: unknown, sorted: boolean): string | undefined {
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'number':
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
        const s = String(value);
        return /[.e]/.test(s) ? s : `${s}.0`;
      }
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function')
        return write((value as { toJSON(): unknown }).toJSON(), sorted);
      if (Array.isArray(value)) return `[${value.map((v) => write(v, sorted) ?? 'null').join(',')}]`;
      const parts: string[] = [];
      const entries = Object.entries(value);
      if (sorted) entries.sort(([a], [b]) => compareKeys(a, b));
      for (const [k, v] of entries) {
        const text = write(v, sorted);
        if (text !== undefined) parts.push(`${JSON.stringify(k)}:${text}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      return JSON.stringify(value);
  }
}
