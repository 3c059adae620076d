/**
 * Task identity (dedup) hashing as upstream computes it (`tasker-shared/src/models/core/task.rs`,
 * `generate_identity_hash` / `compute_identity_hash`): Rust's `DefaultHasher` (SipHash-1-3, zero keys) over the
 * named task's 16 UUID bytes followed by the canonical context string (`str` hashing appends 0xff), printed
 * as unpadded lowercase hex. Verified against a rustc build of the same std calls (test/identity-hash.test.ts).
 */

import { compareKeys, setMember } from '@tasker-bridge/schemas';

const MASK = (1n << 64n) - 1n;
const rotl = (x: bigint, b: bigint) => ((x << b) | (x >> (64n - b))) & MASK;

function sipHash13(bytes: Uint8Array): bigint {
  let v0 = 0x736f6d6570736575n;
  let v1 = 0x646f72616e646f6dn;
  let v2 = 0x6c7967656e657261n;
  let v3 = 0x7465646279746573n;
  const round = () => {
    v0 = (v0 + v1) & MASK;
    v1 = rotl(v1, 13n) ^ v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & MASK;
    v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & MASK;
    v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & MASK;
    v1 = rotl(v1, 17n) ^ v2;
    v2 = rotl(v2, 32n);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const whole = bytes.length - (bytes.length % 8);
  for (let i = 0; i < whole; i += 8) {
    const m = view.getBigUint64(i, true);
    v3 ^= m;
    round();
    v0 ^= m;
  }
  let last = BigInt(bytes.length & 0xff) << 56n;
  for (let i = whole; i < bytes.length; i++) last |= BigInt(bytes[i]!) << BigInt(8 * (i - whole));
  v3 ^= last;
  round();
  v0 ^= last;
  v2 ^= 0xffn;
  round();
  round();
  round();
  return v0 ^ v1 ^ v2 ^ v3;
}

function uuidBytes(uuid: string): Uint8Array {
  return Uint8Array.from(Buffer.from(uuid.replaceAll('-', ''), 'hex'));
}

function hashWithText(namedTaskUuid: string, text: string | undefined): string {
  const parts = [uuidBytes(namedTaskUuid)];
  if (text !== undefined) parts.push(new TextEncoder().encode(text), Uint8Array.of(0xff));
  return sipHash13(Uint8Array.from(Buffer.concat(parts))).toString(16);
}

/** `normalize_json_for_hash`: sorted keys, no whitespace, keys written raw, strings JSON-escaped. */
export function normalizeJsonForHash(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(normalizeJsonForHash).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => compareKeys(a, b));
    return `{${entries.map(([k, v]) => `"${k}":${normalizeJsonForHash(v)}`).join(',')}}`;
  }
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value) ?? 'null';
}

/** Strict strategy: `hash(named_task_uuid, context)`. */
export function strictIdentityHash(namedTaskUuid: string, context: unknown): string {
  return hashWithText(namedTaskUuid, context === undefined ? undefined : normalizeJsonForHash(context));
}

/** A caller-provided idempotency key: `hash(named_task_uuid, key)`. */
export function keyedIdentityHash(namedTaskUuid: string, key: string): string {
  return hashWithText(namedTaskUuid, key);
}

/**
 * `validation::sanitize_json`, applied to the context and tags before they are stored: drops keys named
 * script/eval/function or starting with "on" (case-insensitive) and defuses a few script markers in strings.
 */
export function sanitizeJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sanitizeJson);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      const lower = key.toLowerCase();
      if (lower === 'script' || lower === 'eval' || lower === 'function' || lower.startsWith('on')) continue;
      setMember(out, key, sanitizeJson(v));
    }
    return out;
  }
  if (typeof value === 'string') {
    return value
      .replaceAll('<script>', '&lt;script&gt;')
      .replaceAll('</script>', '&lt;/script&gt;')
      .replaceAll('javascript:', '')
      .replaceAll('data:text/html', 'data:text/plain');
  }
  return value;
}
