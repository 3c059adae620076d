// `npm run bench` entry (after `npm run build`): bundles test/bench/src (TypeScript, plus the fleet tests' support
// code it reuses) with rolldown into node_modules/.cache/tasker-bridge-bench/, then runs it on this Node.
// Every bundled file keeps its own import.meta.url, so paths resolve as in the source tree.
// Workspace packages (`@tasker-bridge/*`) and npm packages stay external: the worker runs from its built `dist/`.
// Arguments are passed through, e.g. `npm run bench -- --steps 2000 --runs 1`.

import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'rolldown';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const outDir = join(root, 'node_modules', '.cache', 'tasker-bridge-bench');

const keepImportMetaUrl = {
  name: 'keep-import-meta-url',
  transform(code, id) {
    if (!code.includes('import.meta.url')) return null;
    return code.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(id).href));
  },
};

await build({
  input: {
    main: join(here, 'src', 'main.ts'),
    'ts-worker-child': join(here, 'src', 'ts-worker-child.ts'),
    'floor-child': join(here, 'src', 'floor-child.ts'),
    'health-flood-child': join(here, 'src', 'health-flood-child.ts'),
  },
  platform: 'node',
  external: [/^[^./]/],
  resolve: { extensionAlias: { '.js': ['.ts', '.js'] } },
  plugins: [keepImportMetaUrl],
  logLevel: 'warn',
  output: { dir: outDir, format: 'esm', entryFileNames: '[name].mjs', chunkFileNames: '[name]-[hash].mjs' },
});

const child = spawn(process.execPath, [join(outDir, 'main.mjs'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, BENCH_BUILD_DIR: outDir },
});
const forward = (signal) => child.kill(signal);
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
