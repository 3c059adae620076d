// MessagePack codec matching rmp-serde's `to_vec_named` byte for byte: structs as maps with field names in
// Rust's order, UUIDs as bin 16 (uuid's non-human-readable form), chrono types as strings, smallest integer
// encodings. The codec is schema-directed because only the schema knows which strings are UUIDs.
// Upstream never uses MessagePack (docs/wire-types.md §13); this is the format for a future binary transport.
import { WireDecodeError } from './errors.js';
import type { WireTypeMap } from './generated/types.js';
import { canonicalize, fromWireTree } from './json.js';
import { readMsgpack } from './msgpack-reader.js';
import { MsgpackWriter } from './msgpack-writer.js';
import type { WireTypeName } from './names.js';
import { type Shape, shapeOf } from './shape.js';
import { uuidToBytes } from './uuid-bytes.js';

/** Replaces the UUID strings of a canonical tree by their 16 bytes. */
function binaryUuids(shape: Shape, value: unknown): unknown {
  switch (shape.kind) {
    case 'string':
      return shape.format === 'uuid' && typeof value === 'string' ? uuidToBytes(value) : value;
    case 'nullable':
      return value === null ? null : binaryUuids(shape.inner, value);
    case 'array':
      return (value as unknown[]).map((v) => binaryUuids(shape.items, v));
    case 'map':
      return Object.fromEntries(
        Object.entries(value as object).map(([k, v]) => [k, binaryUuids(shape.values, v)]),
      );
    case 'struct':
    case 'tagged': {
      const obj = value as Record<string, unknown>;
      const fields =
        shape.kind === 'struct' ? shape.fields : (shape.variants.get(String(obj[shape.tag]))?.fields ?? []);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(obj)) {
        const field = fields.find((f) => f.name === k);
        out[k] = field ? binaryUuids(field.shape, v) : v;
      }
      return out;
    }
    default:
      return value;
  }
}

export function encodeMsgpack<N extends WireTypeName>(name: N, value: WireTypeMap[N]): Uint8Array {
  const canonical = canonicalize(name, value);
  const writer = new MsgpackWriter();
  writer.value(binaryUuids(shapeOf(name), canonical));
  return writer.bytes();
}

export function decodeMsgpack<N extends WireTypeName>(name: N, bytes: Uint8Array): WireTypeMap[N] {
  let tree: unknown;
  try {
    tree = readMsgpack(bytes);
  } catch (cause) {
    throw new WireDecodeError(name, `not MessagePack (${(cause as Error).message})`, { cause });
  }
  return fromWireTree(name, tree);
}
