// A MessagePack writer that makes rmp-serde's choices (rmp 0.8 `write_uint`/`write_sint`/`write_str`/
// `write_bin`, rmp-serde 1.3 `to_vec_named`): smallest integer encoding with unsigned markers for every
// non-negative integer, f64 for every other number, str8 from 32 bytes, fixmap/fixarray below 16.
// msgpackr's encoder cannot be used for this: it writes integers ≥ 2^32 as float64 and positive bigints as
// int64, and rmp-serde rejects a float for an i64/u64 field.

const utf8 = new TextEncoder();

export class MsgpackWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  bytes(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  private byte(b: number): void {
    this.reserve(1);
    this.buf[this.pos++] = b;
  }

  private marker(m: number, size: 1 | 2 | 4 | 8, value: number | bigint): void {
    this.reserve(1 + size);
    this.buf[this.pos++] = m;
    const v = this.view;
    const p = this.pos;
    if (size === 1) v.setUint8(p, Number(value) & 0xff);
    else if (size === 2) v.setUint16(p, Number(value));
    else if (size === 4) v.setUint32(p, Number(value));
    else if (m === 0xd3) v.setBigInt64(p, BigInt(value));
    else v.setBigUint64(p, BigInt(value));
    this.pos += size;
  }

  private length(
    len: number,
    fix: number,
    fixMax: number,
    m8: number | null,
    m16: number,
    m32: number,
  ): void {
    if (len <= fixMax) this.byte(fix | len);
    else if (m8 !== null && len < 0x100) this.marker(m8, 1, len);
    else if (len < 0x10000) this.marker(m16, 2, len);
    else this.marker(m32, 4, len);
  }

  integer(n: number | bigint): void {
    if (n >= 0) {
      if (n < 0x80) this.byte(Number(n));
      else if (n < 0x100) this.marker(0xcc, 1, n);
      else if (n < 0x10000) this.marker(0xcd, 2, n);
      else if (n < 0x100000000) this.marker(0xce, 4, n);
      else this.marker(0xcf, 8, n);
    } else if (n >= -32) this.byte(0x100 + Number(n));
    else if (n >= -0x80) this.marker(0xd0, 1, Number(n) & 0xff);
    else if (n >= -0x8000) {
      this.reserve(3);
      this.buf[this.pos++] = 0xd1;
      this.view.setInt16(this.pos, Number(n));
      this.pos += 2;
    } else if (n >= -0x80000000) {
      this.reserve(5);
      this.buf[this.pos++] = 0xd2;
      this.view.setInt32(this.pos, Number(n));
      this.pos += 4;
    } else this.marker(0xd3, 8, n);
  }

  float64(n: number): void {
    this.reserve(9);
    this.buf[this.pos++] = 0xcb;
    this.view.setFloat64(this.pos, n);
    this.pos += 8;
  }

  string(s: string): void {
    const encoded = utf8.encode(s);
    this.length(encoded.length, 0xa0, 31, 0xd9, 0xda, 0xdb);
    this.raw(encoded);
  }

  binary(b: Uint8Array): void {
    if (b.length < 0x100) this.marker(0xc4, 1, b.length);
    else if (b.length < 0x10000) this.marker(0xc5, 2, b.length);
    else this.marker(0xc6, 4, b.length);
    this.raw(b);
  }

  arrayHeader(len: number): void {
    this.length(len, 0x90, 15, null, 0xdc, 0xdd);
  }

  mapHeader(len: number): void {
    this.length(len, 0x80, 15, null, 0xde, 0xdf);
  }

  nil(): void {
    this.byte(0xc0);
  }

  bool(b: boolean): void {
    this.byte(b ? 0xc3 : 0xc2);
  }

  private raw(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Writes a canonical tree (see canonical.ts): Uint8Array is bin, safe-integer numbers and bigints are ints. */
  value(v: unknown): void {
    if (v === null || v === undefined) this.nil();
    else if (typeof v === 'boolean') this.bool(v);
    else if (typeof v === 'bigint') this.integer(v);
    // -0 is written as 0: JSON cannot carry it either, so both codecs agree.
    else if (typeof v === 'number') Number.isSafeInteger(v) ? this.integer(v === 0 ? 0 : v) : this.float64(v);
    else if (typeof v === 'string') this.string(v);
    else if (v instanceof Uint8Array) this.binary(v);
    else if (Array.isArray(v)) {
      this.arrayHeader(v.length);
      for (const item of v) this.value(item);
    } else if (typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      this.mapHeader(entries.length);
      for (const [k, item] of entries) {
        this.string(k);
        this.value(item);
      }
    } else throw new TypeError(`cannot write ${typeof v} as MessagePack`);
  }
}
