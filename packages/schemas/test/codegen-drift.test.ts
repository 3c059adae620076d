import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedDir, generateFiles } from '../scripts/codegen.mjs';

describe('src/generated', () => {
  it('matches what scripts/codegen.mjs produces from schemas/ (run `npm run codegen` after a schema change)', async () => {
    const files = await generateFiles();
    for (const [file, content] of Object.entries(files)) {
      expect(readFileSync(join(generatedDir, file), 'utf8'), `src/generated/${file} drifted`).toBe(content);
    }
  });
});
