// JSON codec with serde_json's rules (docs/wire-types.md §1). Encoding writes the canonical form Rust itself would
// write; decoding applies serde's input rules, then validates.

import { fromWire, toCanonical } from './canonical.js';
import { WireDecodeError, type WireIssue, WireValidationError } from './errors.js';
import type { WireTypeMap } from './generated/types.js';
import { parseJsonText, stringifyJson } from './json-text.js';
import type { WireTypeName } from './names.js';
import { shapeOf } from './shape.js';
import { validationIssues } from './validate.js';

/** Canonical tree for a value, or throws WireValidationError. Shared by both codecs. */
export function canonicalize(name: WireTypeName, value: unknown): unknown {
  const issues: WireIssue[] = [];
  const canonical = toCanonical(shapeOf(name), value, '', issues);
  issues.push(...validationIssues(name, canonical));
  if (issues.length > 0) throw new WireValidationError(name, issues);
  return canonical;
}

/** Applies serde's input rules to a parsed tree and validates it, or throws WireValidationError. */
export function fromWireTree<N extends WireTypeName>(name: N, tree: unknown): WireTypeMap[N] {
  const issues: WireIssue[] = [];
  const value = fromWire(shapeOf(name), tree, '', issues);
  issues.push(...validationIssues(name, value));
  if (issues.length > 0) throw new WireValidationError(name, issues);
  return value as WireTypeMap[N];
}

export function encodeJson<N extends WireTypeName>(name: N, value: WireTypeMap[N]): string {
  return stringifyJson(canonicalize(name, value));
}

export function decodeJson<N extends WireTypeName>(name: N, text: string): WireTypeMap[N] {
  let tree: unknown;
  try {
    tree = parseJsonText(text);
  } catch (cause) {
    throw new WireDecodeError(name, `not JSON (${(cause as Error).message})`, { cause });
  }
  return fromWireTree(name, tree);
}

/**
 * For JSON that something else already parsed (node-postgres JSONB columns, pgmq `message`): applies serde's
 * input rules (defaults, aliases, unknown keys dropped) and validates. Integers stay exact only if that parser
 * kept them: `parseJsonText` does (the worker's and the dev orchestrator's json/jsonb type parsers use it);
 * JSON.parse rounds beyond 2^53.
 */
export function decodeParsed<N extends WireTypeName>(name: N, value: unknown): WireTypeMap[N] {
  return fromWireTree(name, value);
}

/**
 * For a tree whose shape its producer guarantees, such as the rows the worker's own SQL builds from typed
 * columns: serde's input rules only (defaults, aliases, timestamps as Rust prints them, safe bigints narrowed),
 * without `decodeParsed`'s schema validation, which would re-prove on every step what the column types already
 * do. Anything written by others (messages, free-form jsonb) goes through `decodeParsed`.
 */
export function decodeTrusted<N extends WireTypeName>(name: N, value: unknown): WireTypeMap[N] {
  const issues: WireIssue[] = [];
  const decoded = fromWire(shapeOf(name), value, '', issues);
  if (issues.length > 0) throw new WireValidationError(name, issues);
  return decoded as WireTypeMap[N];
}
