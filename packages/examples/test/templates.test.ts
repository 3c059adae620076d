import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HandlerRegistry } from '@tasker-bridge/core';
import { decodeParsed, validate } from '@tasker-bridge/schemas';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { registerExampleHandlers, templatesDir } from '../src/index.js';
import { templateFiles } from './support.js';

const files = templateFiles();

describe('example templates', () => {
  it('ships every template under templates/<namespace>/<name>.yaml', () => {
    expect(files.length).toBe(21);
  });

  it.each(files)('%s deserializes as a Rust TaskTemplate whose callables all resolve', async (file) => {
    const raw = parse(readFileSync(join(templatesDir, file), 'utf8'));
    const template = decodeParsed('TaskTemplate', raw);
    const checked = validate('TaskTemplate', template);
    expect(checked.ok ? [] : checked.issues).toEqual([]);
    expect(file).toBe(`${template.namespace_name}/${template.name}.yaml`);
    expect(template.namespace_name.length).toBeLessThanOrEqual(29);

    const names = new Set(template.steps.map((s) => s.name));
    for (const step of template.steps) for (const dep of step.dependencies) expect(names).toContain(dep);

    const registry = registerExampleHandlers(new HandlerRegistry());
    expect(await registry.missingHandlers(template)).toEqual([]);
  });
});
