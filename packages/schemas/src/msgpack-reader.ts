// A MessagePack reader for the wire types, the counterpart of msgpack-writer.ts. Hand-written because each
// maintained decoder costs more than the format: msgpackr brings a native addon with an install script (and four
// more packages) into every worker's install, and @msgpack/msgpack refuses a `__proto__` map key, which serde and
// our JSON codec keep as data (docs/wire-types.md §1). The format is small: what this reads is the whole of
// MessagePack except extension types, which no serde type writes (rmp-serde never does for the wire types, §13).
//
// What it returns: nil → null; integers → number, except every uint 64/int 64 → bigint (the schema walk narrows
// safe ones, as for JSON); float 32/64 → number; str → string (invalid UTF-8 is an error, as for a Rust String);
// bin → Uint8Array; arrays → arrays; maps → plain objects whose keys are own data properties (`__proto__`
// included), non-string keys written as strings.
import { setMember } from './json-value.js';

class MsgpackReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MsgpackReadError';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

class Reader {
  private pos = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  document(): unknown {
    const value = this.value();
    if (this.pos !== this.bytes.length)
      throw new MsgpackReadError(`${this.bytes.length - this.pos} bytes after the value`);
    return value;
  }

  private need(n: number): number {
    const at = this.pos;
    if (at + n > this.bytes.length) throw new MsgpackReadError(`truncated at byte ${at}`);
    this.pos += n;
    return at;
  }

  private u8 = () => this.view.getUint8(this.need(1));
  private u16 = () => this.view.getUint16(this.need(2));
  private u32 = () => this.view.getUint32(this.need(4));

  private str(length: number): string {
    const at = this.need(length);
    try {
      return utf8.decode(this.bytes.subarray(at, at + length));
    } catch {
      throw new MsgpackReadError(`invalid UTF-8 in the string at byte ${at}`);
    }
  }

  private bin(length: number): Uint8Array {
    const at = this.need(length);
    return Uint8Array.from(this.bytes.subarray(at, at + length));
  }

  private array(length: number): unknown[] {
    const out: unknown[] = [];
    for (let i = 0; i < length; i++) out.push(this.value());
    return out;
  }

  private map(length: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < length; i++) {
      const key = this.value();
      setMember(out, String(key), this.value());
    }
    return out;
  }

  private value(): unknown {
    const type = this.u8();
    if (type <= 0x7f) return type; // positive fixint
    if (type >= 0xe0) return type - 0x100; // negative fixint
    if (type <= 0x8f) return this.map(type & 0x0f);
    if (type <= 0x9f) return this.array(type & 0x0f);
    if (type <= 0xbf) return this.str(type & 0x1f);
    switch (type) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return this.bin(this.u8());
      case 0xc5:
        return this.bin(this.u16());
      case 0xc6:
        return this.bin(this.u32());
      case 0xca:
        return this.view.getFloat32(this.need(4));
      case 0xcb:
        return this.view.getFloat64(this.need(8));
      case 0xcc:
        return this.u8();
      case 0xcd:
        return this.u16();
      case 0xce:
        return this.u32();
      case 0xcf:
        return this.view.getBigUint64(this.need(8));
      case 0xd0:
        return this.view.getInt8(this.need(1));
      case 0xd1:
        return this.view.getInt16(this.need(2));
      case 0xd2:
        return this.view.getInt32(this.need(4));
      case 0xd3:
        return this.view.getBigInt64(this.need(8));
      case 0xd9:
        return this.str(this.u8());
      case 0xda:
        return this.str(this.u16());
      case 0xdb:
        return this.str(this.u32());
      case 0xdc:
        return this.array(this.u16());
      case 0xdd:
        return this.array(this.u32());
      case 0xde:
        return this.map(this.u16());
      case 0xdf:
        return this.map(this.u32());
      case 0xc1:
        throw new MsgpackReadError(`0xc1 (never used) at byte ${this.pos - 1}`);
      default:
        // 0xc7–0xc9 and 0xd4–0xd8: extension types.
        throw new MsgpackReadError(`unexpected MessagePack extension value at byte ${this.pos - 1}`);
    }
  }
}

/** One MessagePack value, the whole of `bytes`. Throws `MsgpackReadError`. */
export function readMsgpack(bytes: Uint8Array): unknown {
  return new Reader(bytes).document();
}
