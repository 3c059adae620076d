// Schema-directed walks between a caller's value and the canonical wire tree (what serde would print).
//
// toCanonical (encode): Rust's field order, unknown keys dropped, Option → null, skip_serializing_if
//   honoured, timestamps re-printed the way chrono prints them, serde_json::Value objects key-sorted
//   (serde_json without preserve_order is a BTreeMap, docs/protocol.md §4.6), HashMap keys sorted for
//   determinism, integers checked against Rust's width, safe bigints narrowed to numbers.
// fromWire (decode): serde's input rules — unknown keys ignored, aliases, `default`s, missing Option → None
//   (docs/wire-types.md §1.1) — plus MessagePack bin → UUID string.
import type { WireIssue } from './errors.js';
import { setMember } from './json-value.js';
import { compareKeys } from './key-order.js';
import type { Field, Shape } from './shape.js';
import { INT_BOUNDS } from './shape.js';
import { canonicalNaiveTimestamp, canonicalUtcTimestamp, formatUtcTimestamp } from './timestamps.js';
import { uuidFromBytes } from './uuid-bytes.js';

type Obj = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Obj {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The JSON Pointer of `key` under `path`. Built for every member walked, so the common key needs no escaping pass. */
function pointer(path: string, key: string | number): string {
  const text = String(key);
  if (!text.includes('~') && !text.includes('/')) return `${path}/${text}`;
  return `${path}/${text.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

function narrow(value: bigint): number | bigint {
  return value <= SAFE_MAX && value >= -SAFE_MAX ? Number(value) : value;
}

/** A serde_json::Value: any JSON. Numbers: safe integers stay integers, other numbers are f64. */
function canonicalValue(value: unknown, path: string, issues: WireIssue[]): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) issues.push({ path, message: 'NaN and Infinity are not JSON' });
      return value;
    case 'bigint':
      if (value < INT_BOUNDS.i64[0] || value > INT_BOUNDS.u64[1]) {
        issues.push({ path, message: 'integer does not fit i64 or u64 (serde_json::Value)' });
      }
      return narrow(value);
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) return value.map((v, i) => canonicalValue(v, pointer(path, i), issues));
      if (!isPlainObject(value)) {
        issues.push({ path, message: `${value.constructor?.name ?? 'object'} is not JSON data` });
        return value;
      }
      const out: Obj = {};
      for (const key of Object.keys(value).sort(compareKeys)) {
        const v = value[key];
        if (v !== undefined) setMember(out, key, canonicalValue(v, pointer(path, key), issues));
      }
      return out;
    }
    default:
      issues.push({ path, message: `${typeof value} is not JSON data` });
      return value;
  }
}

function canonicalInt(
  shape: Shape & { kind: 'int' },
  value: unknown,
  path: string,
  issues: WireIssue[],
): unknown {
  if (typeof value === 'bigint') {
    const [min, max] = INT_BOUNDS[shape.int];
    if (value < min || value > max)
      issues.push({ path, message: `must fit Rust's ${shape.int} (${min}..${max})` });
    return narrow(value);
  }
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) {
    issues.push({ path, message: 'integers beyond ±2^53 must be passed as bigint to stay exact' });
  }
  // A non-integer number stays as is: the schema rejects it (Rust rejects 12.0 and 12.5 alike, §1.5).
  return value;
}

function struct(fields: readonly Field[], value: unknown, path: string, issues: WireIssue[]): unknown {
  if (!isPlainObject(value)) return value;
  const out: Obj = {};
  for (const field of fields) {
    const v = value[field.name];
    if (field.skip === 'none' && (v === undefined || v === null)) continue;
    if (field.skip === 'empty' && (v === undefined || (isPlainObject(v) && Object.keys(v).length === 0)))
      continue;
    if (v === undefined) {
      if (field.optional) out[field.name] = null;
      continue;
    }
    out[field.name] = toCanonical(field.shape, v, pointer(path, field.name), issues);
  }
  return out;
}

export function toCanonical(shape: Shape, value: unknown, path: string, issues: WireIssue[]): unknown {
  switch (shape.kind) {
    case 'value':
      return value === undefined ? null : canonicalValue(value, path, issues);
    case 'string':
      if (typeof value !== 'string') return value;
      if (shape.format === 'utc') return canonicalUtcTimestamp(value);
      if (shape.format === 'naive') return canonicalNaiveTimestamp(value);
      return value;
    case 'bool':
      return value;
    case 'int':
      return canonicalInt(shape, value, path, issues);
    case 'nullable':
      return value === null || value === undefined ? null : toCanonical(shape.inner, value, path, issues);
    case 'array':
      return Array.isArray(value)
        ? value.map((v, i) => toCanonical(shape.items, v, pointer(path, i), issues))
        : value;
    case 'map': {
      if (!isPlainObject(value)) return value;
      const out: Obj = {};
      for (const key of Object.keys(value).sort(compareKeys)) {
        if (value[key] !== undefined)
          setMember(out, key, toCanonical(shape.values, value[key], pointer(path, key), issues));
      }
      return out;
    }
    case 'struct':
      return struct(shape.fields, value, path, issues);
    case 'tagged': {
      if (!isPlainObject(value)) return value;
      const variant = shape.variants.get(String(value[shape.tag]));
      return variant ? struct(variant.fields, value, path, issues) : value;
    }
  }
}

function cloneJson<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

function structFromWire(
  fields: readonly Field[],
  value: unknown,
  path: string,
  issues: WireIssue[],
): unknown {
  if (!isPlainObject(value)) return value;
  const out: Obj = {};
  for (const field of fields) {
    let v = value[field.name];
    if (field.alias !== undefined && value[field.alias] !== undefined) {
      // serde treats an alias as the same field: both present is "duplicate field" (docs/wire-types.md §4.4).
      if (v !== undefined)
        issues.push({ path: pointer(path, field.alias), message: `duplicate field \`${field.name}\`` });
      else v = value[field.alias];
    }
    if (v === undefined) {
      // A default is decoded too: a struct default such as `metadata: {}` gets its own fields' defaults.
      if (field.hasDefault)
        out[field.name] = fromWire(
          field.shape,
          cloneJson(field.defaultValue),
          pointer(path, field.name),
          issues,
        );
      else if (field.defaultNow) out[field.name] = formatUtcTimestamp(new Date());
      else if (field.optional && !field.skip) out[field.name] = null;
      continue;
    }
    if (field.skip === 'none' && v === null) continue;
    out[field.name] = fromWire(field.shape, v, pointer(path, field.name), issues);
  }
  return out;
}

function valueFromWire(value: unknown, path: string, issues: WireIssue[]): unknown {
  if (typeof value === 'bigint') return narrow(value);
  if (value instanceof Uint8Array) {
    issues.push({ path, message: 'binary data cannot be a serde_json::Value' });
    return value;
  }
  if (Array.isArray(value)) return value.map((v, i) => valueFromWire(v, pointer(path, i), issues));
  if (isPlainObject(value)) {
    const out: Obj = {};
    for (const [k, v] of Object.entries(value)) setMember(out, k, valueFromWire(v, pointer(path, k), issues));
    return out;
  }
  return value;
}

export function fromWire(shape: Shape, value: unknown, path: string, issues: WireIssue[]): unknown {
  switch (shape.kind) {
    case 'value':
      return valueFromWire(value, path, issues);
    case 'string':
      // uuid's Deserialize reads 16 raw bytes from a binary format (rmp-serde writes UUIDs as bin 16).
      if (shape.format === 'uuid' && value instanceof Uint8Array) {
        if (value.length === 16) return uuidFromBytes(value);
        issues.push({ path, message: `a binary UUID must be 16 bytes, got ${value.length}` });
      }
      // chrono holds an instant, not text: decode to the form Rust would print it in.
      if (shape.format === 'utc' && typeof value === 'string') return canonicalUtcTimestamp(value);
      if (shape.format === 'naive' && typeof value === 'string') return canonicalNaiveTimestamp(value);
      return value;
    case 'bool':
      return value;
    case 'int':
      return typeof value === 'bigint' ? narrow(value) : value;
    case 'nullable':
      return value === null ? null : fromWire(shape.inner, value, path, issues);
    case 'array':
      return Array.isArray(value)
        ? value.map((v, i) => fromWire(shape.items, v, pointer(path, i), issues))
        : value;
    case 'map': {
      if (!isPlainObject(value)) return value;
      const out: Obj = {};
      for (const [k, v] of Object.entries(value))
        setMember(out, k, fromWire(shape.values, v, pointer(path, k), issues));
      return out;
    }
    case 'struct':
      return structFromWire(shape.fields, value, path, issues);
    case 'tagged': {
      if (!isPlainObject(value)) return value;
      const variant = shape.variants.get(String(value[shape.tag]));
      return variant ? structFromWire(variant.fields, value, path, issues) : value;
    }
  }
}
