import { WireValidationError } from '@tasker-bridge/schemas';
import { describe, expect, it } from 'vitest';
import { TemplateCache } from '../src/template-cache.js';

const templateText = (name: string) =>
  JSON.stringify({
    name,
    namespace_name: 'ns',
    version: '1.0.0',
    steps: [{ name: 's', handler: { callable: 'h' } }],
  });

describe('TemplateCache', () => {
  it('decodes a template once per distinct text, with serde defaults applied', () => {
    const cache = new TemplateCache();
    const first = cache.decode(templateText('a'));
    expect(first.steps[0]?.retry.max_attempts).toBe(3);
    expect(cache.decode(templateText('a'))).toBe(first); // same text (a new string): the cached object
    expect(cache.decode(templateText('b'))).not.toBe(first);
    expect(cache.size).toBe(2);
  });

  it('drops the oldest entry past its bound and caches nothing for invalid text', () => {
    const cache = new TemplateCache(2);
    const a = cache.decode(templateText('a'));
    cache.decode(templateText('b'));
    cache.decode(templateText('c'));
    expect(cache.size).toBe(2);
    expect(cache.decode(templateText('a'))).not.toBe(a); // evicted, decoded again
    expect(() => cache.decode('{"name":"x"}')).toThrow(WireValidationError);
    expect(cache.size).toBe(2);
  });
});
