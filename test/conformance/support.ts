// Shared by the conformance tests: the committed vectors and the one comparison rule that cannot be
// byte-exact (HashMap iteration order is random per Rust process, docs/wire-types.md §1.6).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WireTypeName } from '@tasker-bridge/schemas';
import { type Shape, shapeOf } from '../../packages/schemas/src/shape.js';
import { vectorsDir } from './scripts/cargo.mjs';

export interface VectorCase {
  name: string;
  json: string;
  /** Absent for the REST API's types: HTTP bodies are JSON only (docs/wire-types.md §18). */
  msgpack_hex?: string;
  input?: string;
  /** ApiErrorBody: the HTTP status and Retry-After header the real `ApiError::into_response` sent with it. */
  http_status?: number;
  retry_after?: string;
}

export interface VectorFile {
  type: WireTypeName;
  cases: VectorCase[];
  /** false when no Rust type reads it (ApiErrorBody, written by the server only). */
  decoded_by_rust?: boolean;
}

export function loadVectors(): VectorFile[] {
  return readdirSync(vectorsDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(vectorsDir, f), 'utf8')) as VectorFile);
}

export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

/** True when the value holds a Rust HashMap with two or more entries: Rust's byte order is then random. */
export function hasUnorderedMap(name: WireTypeName, value: unknown): boolean {
  return walk(shapeOf(name), value);
}

function walk(shape: Shape, value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const obj = value as Record<string, unknown>;
  switch (shape.kind) {
    case 'nullable':
      return walk(shape.inner, value);
    case 'array':
      return (value as unknown[]).some((v) => walk(shape.items, v));
    case 'map':
      return Object.keys(obj).length > 1 || Object.values(obj).some((v) => walk(shape.values, v));
    case 'struct':
      return shape.fields.some((f) => walk(f.shape, obj[f.name]));
    case 'tagged': {
      const variant = shape.variants.get(String(obj[shape.tag]));
      return variant ? variant.fields.some((f) => walk(f.shape, obj[f.name])) : false;
    }
    default:
      return false;
  }
}
