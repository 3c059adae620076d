// ajv validators, compiled once per wire type on first use. Issues name a JSON Pointer path and a reason.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { type WireIssue, WireValidationError } from './errors.js';
import { FORMAT_MESSAGES, WIRE_FORMATS } from './formats.js';
import { WIRE_SCHEMAS } from './generated/schemas.js';
import type { WireTypeMap } from './generated/types.js';
import { WIRE_TYPE_NAMES, type WireTypeName } from './names.js';
import { INT_BOUNDS, type IntKind } from './shape.js';

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; issues: WireIssue[] };

const SCHEMA_BASE = 'https://tasker-bridge.dev/schemas/';

function intKeyword(kind: IntKind, data: number): boolean {
  const [min, max] = INT_BOUNDS[kind];
  return data >= Number(min) && data <= Number(max);
}

let ajv: Ajv | undefined;
const compiled = new Map<WireTypeName, ValidateFunction>();

function instance(): Ajv {
  if (ajv) return ajv;
  const a = new Ajv({
    allErrors: true,
    verbose: true,
    strict: true,
    allowUnionTypes: true,
    discriminator: true,
  });
  for (const [name, check] of Object.entries(WIRE_FORMATS)) a.addFormat(name, check);
  // Annotations read by the codecs (shape.ts); `x-int` also enforces Rust's integer width (§1.5).
  for (const keyword of ['x-nullable', 'x-skip-serializing-if', 'x-serde-alias', 'x-serde-default'])
    a.addKeyword(keyword);
  a.addKeyword({
    keyword: 'x-int',
    type: 'number',
    schemaType: 'string',
    errors: false,
    validate: (kind: IntKind, data: number) => intKeyword(kind, data),
  });
  for (const name of WIRE_TYPE_NAMES) a.addSchema(WIRE_SCHEMAS[name] as object);
  ajv = a;
  return a;
}

function validatorFor(name: WireTypeName): ValidateFunction {
  let fn = compiled.get(name);
  if (!fn) {
    fn = instance().getSchema(`${SCHEMA_BASE}${name}.json`);
    if (!fn) throw new Error(`no schema for wire type ${name}`);
    compiled.set(name, fn);
  }
  return fn;
}

function issueOf(e: ErrorObject): WireIssue {
  if (e.keyword === 'required') {
    return { path: `${e.instancePath}/${String(e.params.missingProperty)}`, message: 'is required' };
  }
  if (e.keyword === 'format') {
    const message = FORMAT_MESSAGES[e.params.format as keyof typeof FORMAT_MESSAGES];
    return { path: e.instancePath, message: message ?? e.message ?? 'has the wrong format' };
  }
  if (e.keyword === 'x-int') {
    const kind = e.schema as IntKind;
    const [min, max] = INT_BOUNDS[kind];
    return { path: e.instancePath, message: `must fit Rust's ${kind} (${min}..${max})` };
  }
  return { path: e.instancePath, message: e.message ?? e.keyword };
}

/** Drops the echo errors of nullable unions (`must be null`, `must match a schema in anyOf`) when a real reason exists. */
function issuesOf(errors: readonly ErrorObject[]): WireIssue[] {
  const real = errors.filter(
    (e) => !(e.keyword === 'anyOf') && !(e.keyword === 'type' && e.params.type === 'null'),
  );
  const chosen = real.length > 0 ? real : errors;
  const seen = new Set<string>();
  const issues: WireIssue[] = [];
  for (const e of chosen) {
    const issue = issueOf(e);
    const key = `${issue.path}\u0000${issue.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      issues.push(issue);
    }
  }
  return issues;
}

/** ajv cannot see bigint; a value beyond 2^53 is checked here as the nearest number (widths are checked exactly by the codecs). */
function forAjv(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.some(needsCopy) ? value.map(forAjv) : value;
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    if (!Object.values(value).some(needsCopy)) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, forAjv(v)]));
  }
  return value;
}

function needsCopy(value: unknown): boolean {
  if (typeof value === 'bigint') return true;
  if (Array.isArray(value)) return value.some(needsCopy);
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array))
    return Object.values(value).some(needsCopy);
  return false;
}

export function validationIssues(name: WireTypeName, value: unknown): WireIssue[] {
  const fn = validatorFor(name);
  return fn(forAjv(value)) ? [] : issuesOf(fn.errors ?? []);
}

/** Checks a value against its wire type's schema (Rust's decoding rules: required keys, widths, formats, tags). */
export function validate<N extends WireTypeName>(name: N, value: unknown): ValidationResult<WireTypeMap[N]> {
  const issues = validationIssues(name, value);
  return issues.length === 0 ? { ok: true, value: value as WireTypeMap[N] } : { ok: false, issues };
}

/** Like `validate`, but throws `WireValidationError` (code `wire_validation_failed`). */
export function assertValid<N extends WireTypeName>(name: N, value: unknown): WireTypeMap[N] {
  const issues = validationIssues(name, value);
  if (issues.length > 0) throw new WireValidationError(name, issues);
  return value as WireTypeMap[N];
}
