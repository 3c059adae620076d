// Rust → TS: every vector was written by the real tasker-shared 0.1.8 types (npm run vectors). Our validators
// must accept it, both codecs must decode it to the same value, and our MessagePack must reproduce Rust's bytes.

import {
  decodeJson,
  decodeMsgpack,
  encodeJson,
  encodeMsgpack,
  validate,
  WIRE_TYPE_NAMES,
} from '@tasker-bridge/schemas';
import { describe, expect, it } from 'vitest';
import { parseJsonText } from '../../packages/schemas/src/json-text.js';
import { fromHex, hasUnorderedMap, loadVectors, toHex } from './support.js';

const files = loadVectors();

describe('Rust → TS vectors', () => {
  it('cover every wire type', () => {
    const covered = new Set(files.map((f) => f.type));
    expect(WIRE_TYPE_NAMES.filter((n) => !covered.has(n))).toEqual([]);
  });

  for (const file of files) {
    describe(file.type, () => {
      for (const c of file.cases) {
        it(c.name, () => {
          const fromJson = decodeJson(file.type, c.json);
          expect(validate(file.type, fromJson).ok).toBe(true);

          // Re-encoding gives Rust's JSON value, and Rust's exact bytes (sorted HashMaps aside).
          expect(parseJsonText(encodeJson(file.type, fromJson))).toEqual(parseJsonText(c.json));

          if (c.msgpack_hex !== undefined) {
            const bytes = fromHex(c.msgpack_hex);
            expect(decodeMsgpack(file.type, bytes)).toEqual(fromJson);
            const ours = encodeMsgpack(file.type, fromJson);
            if (hasUnorderedMap(file.type, fromJson)) {
              expect(ours.length).toBe(bytes.length);
              expect(decodeMsgpack(file.type, ours)).toEqual(fromJson);
            } else {
              expect(toHex(ours)).toBe(c.msgpack_hex);
            }
          }

          // The sparse form Rust was given decodes, with serde's defaults, to the same value.
          if (c.input !== undefined) expect(decodeJson(file.type, c.input)).toEqual(fromJson);
        });
      }
    });
  }
});
