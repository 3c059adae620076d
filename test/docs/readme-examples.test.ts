// Every TypeScript example of the repository's READMEs compiles under the repository's strict settings against the
// workspace packages (docs/contributing.md "Comments and docs"): each ```ts / ```typescript block is checked as a
// module of its own, placed next to its README, so its imports resolve as the package's own files would. A block
// marked `<!-- ts-example: fragment: <why> -->` is not checked; `<!-- ts-example: in <dir> -->` checks it as a
// module of that directory of the README's package (for an example that imports a file there).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CodeBlock, codeBlocks } from '../support/readme-blocks.js';
import { type ModuleDiagnostic, typecheckModules } from './typecheck.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TYPESCRIPT = new Set(['ts', 'typescript']);

/** The root README and every package's and app's, as repository-relative paths. */
function readmePaths(): string[] {
  const inside = (parent: string) =>
    readdirSync(join(ROOT, parent), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(ROOT, parent, entry.name, 'README.md')))
      .map((entry) => `${parent}/${entry.name}/README.md`);
  return ['README.md', ...inside('packages'), ...inside('apps')];
}

interface Example {
  readme: string;
  block: CodeBlock;
  /** Where the example is checked as a module; undefined for a fragment. */
  fileName: string | undefined;
  /** What is wrong with the block's marker, if anything. */
  problem: string | undefined;
}

/** Reads a TypeScript block's marker: where it is checked, or why it is not. */
function toExample(readme: string, block: CodeBlock): Example {
  const dir = dirname(join(ROOT, readme));
  const moduleIn = (at: string) => join(at, `README.md-${block.line}.ts`);
  const marker = block.marker;
  if (marker === undefined) return { readme, block, fileName: moduleIn(dir), problem: undefined };
  const fragment = /^fragment:\s*(.*)$/.exec(marker);
  if (fragment) {
    const problem = fragment[1] ? undefined : 'a fragment must say why it cannot compile on its own';
    return { readme, block, fileName: undefined, problem };
  }
  const placed = /^in\s+(\S+)$/.exec(marker);
  if (placed) {
    const at = join(dir, placed[1] as string);
    const problem = existsSync(at) ? undefined : `no directory ${relative(ROOT, at)}`;
    return { readme, block, fileName: moduleIn(at), problem };
  }
  return { readme, block, fileName: undefined, problem: `unknown ts-example marker "${marker}"` };
}

const readJson = (path: string) => JSON.parse(readFileSync(join(ROOT, path), 'utf8'));

/** The names of the workspace's own packages. */
function workspacePackages(): Set<string> {
  return new Set(
    (readJson('package.json').workspaces as string[]).map((dir) => readJson(`${dir}/package.json`).name),
  );
}

/** Every package the `package.json` next to `readme` declares, of any kind. */
function declaredPackages(readme: string): Set<string> {
  const manifest = readJson(join(dirname(readme), 'package.json'));
  const kinds = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];
  return new Set(kinds.flatMap((kind) => Object.keys(manifest[kind] ?? {})));
}

/** The packages an example imports (`zod` of `zod/mini`, `@scope/name` of `@scope/name/sub`), builtins aside. */
function importedPackages(code: string): string[] {
  return ts
    .preProcessFile(code)
    .importedFiles.map((file) => file.fileName)
    .filter((specifier) => !specifier.startsWith('.') && !isBuiltin(specifier))
    .map((specifier) =>
      specifier
        .split('/')
        .slice(0, specifier.startsWith('@') ? 2 : 1)
        .join('/'),
    );
}

/** `README.md:12:5 TS2304: …`, the README's own line. */
function describeDiagnostic(readme: string, block: CodeBlock, d: ModuleDiagnostic): string {
  return `${readme}:${block.line + d.line - 1}:${d.column} ${d.message}`;
}

const readmes = readmePaths().map((readme) => ({
  readme,
  blocks: codeBlocks(readFileSync(join(ROOT, readme), 'utf8')),
}));
const examples = readmes.flatMap(({ readme, blocks }) =>
  blocks.filter((block) => TYPESCRIPT.has(block.language)).map((block) => toExample(readme, block)),
);
const checked = examples.filter((e) => e.fileName !== undefined && e.problem === undefined);

/** A README that is not in the repository, with one good and one broken example: proof that a break is seen. */
const SELF_TEST_README = 'test/docs/SELF-TEST.md';
const selfTest = codeBlocks(
  [
    '# Self-test',
    '',
    '```ts',
    "import { HandlerRegistry } from '@tasker-bridge/core';",
    '',
    'export const registry = new HandlerRegistry();',
    '```',
    '',
    '```typescript',
    "import { HandlerRegistry, noSuchExport } from '@tasker-bridge/core';",
    '',
    'const count: string = new HandlerRegistry().handlerCount;',
    'console.log(count, noSuchExport);',
    '```',
    '',
  ].join('\n'),
).map((block) => toExample(SELF_TEST_README, block));

describe('the TypeScript examples of the READMEs', () => {
  let diagnostics: Map<string, ModuleDiagnostic[]>;

  beforeAll(() => {
    const modules = [...checked, ...selfTest].map((e) => ({
      fileName: e.fileName as string,
      code: e.block.code,
    }));
    diagnostics = typecheckModules(ROOT, modules);
  }, 60_000);

  const errorsOf = (example: Example) =>
    (diagnostics.get(example.fileName as string) ?? ['not checked']).map((d) =>
      typeof d === 'string' ? d : describeDiagnostic(example.readme, example.block, d),
    );

  it('are found in every README, and each package README opens with one that is checked', () => {
    expect(readmes.map((r) => r.readme)).toEqual(
      expect.arrayContaining(['README.md', 'packages/core/README.md', 'apps/cli/README.md']),
    );
    const opening = readmes
      .filter(({ readme }) => readme.startsWith('packages/'))
      .map(({ readme, blocks }) => {
        const first = blocks[0];
        const example = first && TYPESCRIPT.has(first.language) ? toExample(readme, first) : undefined;
        return [readme, example?.fileName !== undefined && example.problem === undefined];
      });
    expect(opening.filter(([, ok]) => !ok)).toEqual([]);
  });

  it('are marked only on TypeScript blocks, and only as a justified fragment or with an existing directory', () => {
    const misplaced = readmes.flatMap(({ readme, blocks }) =>
      blocks
        .filter((block) => block.marker !== undefined && !TYPESCRIPT.has(block.language))
        .map((block) => `${readme}:${block.line} marks a ${block.language || 'plain'} block`),
    );
    const bad = examples
      .filter((e) => e.problem !== undefined)
      .map((e) => `${e.readme}:${e.block.line} ${e.problem}`);
    expect([...misplaced, ...bad]).toEqual([]);
  });

  it("import only the workspace's packages and what the package of their README declares", () => {
    const workspace = workspacePackages();
    const undeclared = checked.flatMap((e) => {
      const declared = declaredPackages(e.readme);
      return importedPackages(e.block.code)
        .filter((name) => !workspace.has(name) && !declared.has(name))
        .map((name) => `${e.readme}:${e.block.line} imports ${name}`);
    });
    expect(undeclared).toEqual([]);
  });

  it.each(checked.map((e) => [`${e.readme}:${e.block.line}`, e] as const))('%s compiles', (_, example) => {
    expect(errorsOf(example)).toEqual([]);
  });

  it('report a broken example at its README line, and pass a good one', () => {
    const [good, broken] = selfTest as [Example, Example];
    expect(errorsOf(good)).toEqual([]);
    expect(errorsOf(broken)).toEqual([
      `${SELF_TEST_README}:10:27 TS2305: Module '"@tasker-bridge/core"' has no exported member 'noSuchExport'.`,
      `${SELF_TEST_README}:12:7 TS2322: Type 'number' is not assignable to type 'string'.`,
    ]);
  });
});
