import { parseJsonText } from '@tasker-bridge/schemas';
import { describe, expect, it } from 'vitest';
import { compact, prettyJson } from '../src/report.js';

describe('JSON output of task data', () => {
  it('prettyJson indents as JSON.stringify(value, null, 2) does', () => {
    const value = { a: [1, { b: null, c: [] }, 'x'], d: {}, e: 0.5, f: undefined, g: [undefined] };
    expect(prettyJson(value)).toBe(JSON.stringify(value, null, 2));
  });

  it('writes exact integers and __proto__ keys as the database holds them', () => {
    const text = '{"__proto__":{"id":9007199254740993},"max":18446744073709551615}';
    const value = parseJsonText(text);
    expect(compact(value)).toBe(text);
    expect(parseJsonText(prettyJson(value))).toEqual(value);
    expect(prettyJson(value)).toContain('"id": 9007199254740993');
  });
});
