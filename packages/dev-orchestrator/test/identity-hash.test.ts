import { parseJsonText, stringifySortedJson } from '@tasker-bridge/schemas';
import { describe, expect, it } from 'vitest';
import { normalizeJsonForHash, sanitizeJson, strictIdentityHash } from '../src/identity-hash.js';

// Expected values printed by a rustc-built program doing exactly upstream's calls:
// DefaultHasher::new(); hasher.write(uuid.as_bytes()); normalized_context.hash(&mut hasher); format!("{:x}", finish())
const NAMED_TASK = '019a2c4e-7c00-7a11-8f22-0a1b2c3d4e5f';

describe('identity hash (strict strategy)', () => {
  it('matches Rust DefaultHasher output for a context', () => {
    expect(strictIdentityHash(NAMED_TASK, { order_id: 42, amount: 10.5 })).toBe('271ab51f38a780d5');
  });
  it('matches Rust for an empty context and for no context', () => {
    expect(strictIdentityHash(NAMED_TASK, {})).toBe('6fdd05f32c4771b3');
    expect(strictIdentityHash(NAMED_TASK, undefined)).toBe('ddad27a4bac6016');
  });
  it('normalises key order recursively', () => {
    expect(normalizeJsonForHash({ b: [1, { d: 'x', c: null }], a: true })).toBe(
      '{"a":true,"b":[1,{"c":null,"d":"x"}]}',
    );
  });
  it("normalises keys in Rust's order (UTF-8 bytes): a supplementary character after U+E000..U+FFFF", () => {
    expect(normalizeJsonForHash({ '\u{1F600}': 1, '\uFF21': 2, z: 3 })).toBe(
      '{"z":3,"\uFF21":2,"\u{1F600}":1}',
    );
  });
  it('sanitises context like upstream (drops on* keys, defuses script markers)', () => {
    expect(sanitizeJson({ onclick: 1, order: 'javascript:x<script>', nested: [{ eval: 1, ok: 2 }] })).toEqual(
      {
        order: 'x&lt;script&gt;',
        nested: [{ ok: 2 }],
      },
    );
  });

  it('keeps __proto__ keys and exact integers through sanitising, hashing and writing', () => {
    const context = parseJsonText('{"__proto__":{"id":9007199254740993},"max":18446744073709551615}');
    const sanitized = sanitizeJson(context) as Record<string, unknown>;
    expect(Object.keys(sanitized)).toEqual(['__proto__', 'max']);
    expect(Object.getPrototypeOf(sanitized)).toBe(Object.prototype);
    expect(normalizeJsonForHash(sanitized)).toBe(
      '{"__proto__":{"id":9007199254740993},"max":18446744073709551615}',
    );
    expect(stringifySortedJson({ b: sanitized, a: 1 })).toBe(
      '{"a":1,"b":{"__proto__":{"id":9007199254740993},"max":18446744073709551615}}',
    );
  });
});
