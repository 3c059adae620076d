import { describe, expect, it } from 'vitest';
import {
  compareKeys,
  decodeJson,
  decodeMsgpack,
  decodeParsed,
  encodeJson,
  encodeMsgpack,
  parseJsonText,
  setMember,
  stringifyJson,
  stringifySortedJson,
} from '../src/index.js';

const U64_MAX = 18446744073709551615n;
const I64_MIN = -9223372036854775808n;

describe('parseJsonText numbers (serde_json rules)', () => {
  it('keeps integers beyond ±(2^53 − 1) exact as bigint, nested in arrays in objects in arrays', () => {
    const text = '[{"ids":[9007199254740993,[-9007199254740993]],"max":18446744073709551615}]';
    expect(parseJsonText(text)).toEqual([{ ids: [9007199254740993n, [-9007199254740993n]], max: U64_MAX }]);
  });

  it('keeps safe integers as numbers, also on the exact path and at the 2^53 boundary', () => {
    const v = parseJsonText('[9007199254740991,-9007199254740991,9007199254740992,1,1234567890123456]');
    expect(v).toEqual([9007199254740991, -9007199254740991, 9007199254740992n, 1, 1234567890123456]);
    expect(typeof (v as unknown[])[0]).toBe('number');
  });

  it('reads the 64-bit extremes exactly and an integer beyond 64 bits as an f64, as serde_json does', () => {
    expect(parseJsonText(`[${I64_MIN},${U64_MAX},18446744073709551616,-9223372036854775809]`)).toEqual([
      I64_MIN,
      U64_MAX,
      2 ** 64,
      -(2 ** 63),
    ]);
    // PostgreSQL prints jsonb 1.5e300 as 301 digits; serde_json reads that as the f64 1.5e300.
    expect(parseJsonText(`[${'15'.padEnd(301, '0')}]`)).toEqual([1.5e300]);
  });

  it('reads fractions and exponents as f64, whatever their digit count', () => {
    expect(
      parseJsonText(
        '[1e400,-1e400,1.5e300,1E2,1e-7,0.30000000000000004,12345678901234567.5,18446744073709551615e0]',
      ),
    ).toEqual([
      Infinity,
      -Infinity,
      1.5e300,
      100,
      1e-7,
      0.30000000000000004,
      12345678901234568,
      18446744073709552000,
    ]);
    // The same texts beside a long integer, which sends them through the exact parser.
    expect(
      parseJsonText('[1e400,1.5e300,1E2,1e-7,0.30000000000000004,12345678901234567.5,1,9007199254740993]'),
    ).toEqual([Infinity, 1.5e300, 100, 1e-7, 0.30000000000000004, 12345678901234568, 1, 9007199254740993n]);
  });

  it('reads -0 as -0 on both paths, as JSON.parse does', () => {
    expect(Object.is(parseJsonText('-0'), -0)).toBe(true);
    expect(Object.is((parseJsonText('[-0,9007199254740993]') as unknown[])[0], -0)).toBe(true);
    expect(Object.is((parseJsonText('[-0.0,9007199254740993]') as unknown[])[0], -0)).toBe(true);
  });

  it('keeps a long digit run inside a string as text', () => {
    expect(parseJsonText('{"id":"9007199254740993","n":9007199254740993}')).toEqual({
      id: '9007199254740993',
      n: 9007199254740993n,
    });
  });
});

describe('parseJsonText objects', () => {
  for (const [path, text] of [
    ['JSON.parse', '{"__proto__":{"polluted":true},"constructor":1,"toString":"s","x":[1]}'],
    [
      'the exact parser',
      '{"__proto__":{"polluted":true},"constructor":1,"toString":"s","x":[9007199254740993]}',
    ],
  ] as const) {
    it(`keeps __proto__, constructor and toString as own data keys (${path})`, () => {
      const v = parseJsonText(text) as Record<string, unknown>;
      expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
      expect(Object.keys(v)).toEqual(['__proto__', 'constructor', 'toString', 'x']);
      expect(Object.getOwnPropertyDescriptor(v, '__proto__')?.value).toEqual({ polluted: true });
      expect((v as { polluted?: unknown }).polluted).toBeUndefined();
      expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
      expect(v.constructor).toBe(1);
    });
  }

  it('reads escapes, unicode and whitespace like JSON.parse', () => {
    const text = ' { "a\\"b" : [ "\\u00e9\\n", "日本🚀", true , false , null ] , "n" : 9007199254740993 } ';
    expect(parseJsonText(text)).toEqual({
      'a"b': ['é\n', '日本🚀', true, false, null],
      n: 9007199254740993n,
    });
  });

  it.each([
    '{"a":1,}',
    '[1 2]',
    '{"a" 1}',
    '"\u0001"',
    '"\\x"',
    'tru',
    '01',
    '[9007199254740993',
    '[9007199254740993] x',
    '{a:9007199254740993}',
  ])('rejects %j beside a long integer, as JSON.parse does', (text) => {
    expect(() => parseJsonText(`[9007199254740993,${text}]`)).toThrow(SyntaxError);
    expect(() => JSON.parse(`[0,${text}]`)).toThrow(SyntaxError);
  });
});

describe('stringifyJson', () => {
  it('writes bigints as integer literals and an integral unsafe number as an f64', () => {
    expect(stringifyJson({ a: [U64_MAX, I64_MIN, 9007199254740993n], f: 2 ** 60, e: 1e300, x: 1.5 })).toBe(
      '{"a":[18446744073709551615,-9223372036854775808,9007199254740993],"f":1152921504606847000.0,"e":1e+300,"x":1.5}',
    );
  });

  it('writes own __proto__ members, drops undefined ones, applies toJSON', () => {
    const v = parseJsonText('{"__proto__":{"k":9007199254740993}}') as Record<string, unknown>;
    v.u = undefined;
    v.d = new Date(0);
    expect(stringifyJson(v)).toBe('{"__proto__":{"k":9007199254740993},"d":"1970-01-01T00:00:00.000Z"}');
    expect(stringifyJson([undefined])).toBe('[null]');
  });

  it('round-trips exactly through parseJsonText', () => {
    const text =
      '{"__proto__":[18446744073709551615,-9223372036854775808],"f":0.1,"n":{"x":9007199254740993}}';
    expect(stringifyJson(parseJsonText(text))).toBe(text);
  });
});

describe('setMember', () => {
  it('adds __proto__ as an own data property, other keys by assignment', () => {
    const o: Record<string, unknown> = {};
    setMember(o, '__proto__', { a: 1 });
    setMember(o, 'b', 2);
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(Object.keys(o)).toEqual(['__proto__', 'b']);
  });
});

describe('codecs keep __proto__ and exact integers in serde_json::Value fields', () => {
  const text =
    '{"step_uuid":"0195b7a2-1c40-7a11-9b22-3c4d5e6f7a81","success":true,' +
    '"result":{"__proto__":{"id":9007199254740993},"list":[{"max":18446744073709551615}]},' +
    '"metadata":{"execution_time_ms":1,"completed_at":"2026-03-21T12:00:01Z"},"status":"completed"}';

  it('decodeJson / encodeJson', () => {
    const decoded = decodeJson('StepExecutionResult', text);
    const result = decoded.result as Record<string, unknown>;
    expect(Object.keys(result)).toEqual(['__proto__', 'list']);
    expect(Object.getOwnPropertyDescriptor(result, '__proto__')?.value).toEqual({ id: 9007199254740993n });
    expect(encodeJson('StepExecutionResult', decoded)).toContain(
      '"result":{"__proto__":{"id":9007199254740993},"list":[{"max":18446744073709551615}]}',
    );
  });

  it('decodeParsed of an already parsed tree (a jsonb column)', () => {
    const decoded = decodeParsed('StepExecutionResult', parseJsonText(text));
    expect(Object.keys(decoded.result as object)).toEqual(['__proto__', 'list']);
  });

  it('MessagePack both ways', () => {
    const decoded = decodeJson('StepExecutionResult', text);
    const again = decodeMsgpack('StepExecutionResult', encodeMsgpack('StepExecutionResult', decoded));
    expect(Object.keys(again.result as object)).toEqual(['__proto__', 'list']);
    expect(again).toEqual(decoded);
  });
});

describe("stringifySortedJson and compareKeys (Rust's key order)", () => {
  it('orders keys by UTF-8 bytes: a supplementary character after U+E000..U+FFFF, unlike UTF-16 order', () => {
    const keys = ['\u{1F600}', '\uFF21', 'z', 'Z', '', 'ab', 'a', '\u00e9'];
    const utf8 = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect([...keys].sort(compareKeys)).toEqual(utf8);
    expect([...keys].sort()).not.toEqual(utf8);
  });

  it('writes every level sorted, with stringifyJson number rules and own __proto__ keys', () => {
    const value = parseJsonText(
      '{"b":{"\uFF21":1,"\u{1F600}":[{"y":2,"x":1}]},"__proto__":9007199254740993,"a":1.5}',
    );
    expect(stringifySortedJson(value)).toBe(
      '{"__proto__":9007199254740993,"a":1.5,"b":{"\uFF21":1,"\u{1F600}":[{"x":1,"y":2}]}}',
    );
  });
});
