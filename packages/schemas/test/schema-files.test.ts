import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WIRE_TYPE_NAMES } from '../src/index.js';

const require = createRequire(import.meta.url);
const dir = fileURLToPath(new URL('../schemas/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

function refs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) refs(item, out);
  else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') out.push(value);
      else refs(value, out);
    }
  }
  return out;
}

describe('the exported JSON Schema files', () => {
  it('are one per wire type, each reachable as @tasker-bridge/schemas/schemas/<Type>.json', () => {
    expect(files.map((f) => f.replace(/\.json$/, '')).sort()).toEqual([...WIRE_TYPE_NAMES].sort());
    for (const file of files) {
      expect(require.resolve(`@tasker-bridge/schemas/schemas/${file}`)).toBe(`${dir}${file}`);
    }
  });

  it('carry the stable $id named after the type, and refer only to files that ship', () => {
    for (const file of files) {
      const schema = JSON.parse(readFileSync(`${dir}${file}`, 'utf8')) as Record<string, unknown>;
      expect(schema.$id).toBe(`https://tasker-bridge.dev/schemas/${file}`);
      expect(schema.title).toBe(file.replace(/\.json$/, ''));
      for (const ref of refs(schema)) {
        const target = ref.split('#')[0] as string;
        if (target !== '') expect(files).toContain(target);
      }
    }
  });
});
