import { describe, expect, it } from 'vitest';
import { decodeMsgpack, WireDecodeError } from '../src/index.js';
import { readMsgpack } from '../src/msgpack-reader.js';

const read = (hex: string) => readMsgpack(Buffer.from(hex, 'hex'));

describe('readMsgpack', () => {
  it('reads every integer encoding, 64-bit ones as bigint', () => {
    expect(read('7f')).toBe(127);
    expect(read('e0')).toBe(-32);
    expect(read('cc80')).toBe(128);
    expect(read('cd0100')).toBe(256);
    expect(read('ce00010000')).toBe(65536);
    expect(read('cfffffffffffffffff')).toBe(2n ** 64n - 1n);
    expect(read('d0df')).toBe(-33);
    expect(read('d1ff7f')).toBe(-129);
    expect(read('d2ffff7fff')).toBe(-32769);
    expect(read('d38000000000000000')).toBe(-(2n ** 63n));
  });

  it('reads nil, booleans, floats, strings of every length marker and binary', () => {
    expect(read('c0')).toBeNull();
    expect(read('c2')).toBe(false);
    expect(read('c3')).toBe(true);
    expect(read('ca3fc00000')).toBe(1.5);
    expect(read('cb3ff8000000000000')).toBe(1.5);
    expect(read('a3616263')).toBe('abc');
    expect(read('d903c3a961')).toBe('éa');
    expect(read(`da0020${'61'.repeat(32)}`)).toBe('a'.repeat(32));
    expect(read('db0000000161')).toBe('a');
  });

  it('reads arrays and maps of every length marker; map keys stay own data properties, __proto__ included', () => {
    expect(read('920102')).toEqual([1, 2]);
    expect(read('dc0002c0c3')).toEqual([null, true]);
    expect(read('dd00000001a178')).toEqual(['x']);
    const map = read('82a95f5f70726f746f5f5f01a16102') as Record<string, unknown>;
    expect(Object.keys(map)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(map)).toBe(Object.prototype);
    expect(read('de0001a16101')).toEqual({ a: 1 });
    expect(read('df00000001a16101')).toEqual({ a: 1 });
    expect(read('c40201ff')).toEqual(Uint8Array.of(1, 255));
  });

  it('rejects truncated input, trailing bytes, invalid UTF-8, extension types and 0xc1', () => {
    expect(() => read('cd01')).toThrow('truncated at byte 1');
    expect(() => read('0101')).toThrow('1 bytes after the value');
    expect(() => read('a2c328')).toThrow('invalid UTF-8');
    expect(() => read('d6ff00000000')).toThrow('unexpected MessagePack extension value');
    expect(() => read('c1')).toThrow('never used');
  });

  it('decodeMsgpack reports what the reader rejects as a WireDecodeError', () => {
    expect(() => decodeMsgpack('StepMessage', Buffer.from('83a1', 'hex'))).toThrow(WireDecodeError);
  });
});
