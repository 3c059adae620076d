// `npm test`: typecheck, lint, then every vitest tier (unit, integration, e2e, conformance), ending with the
// plain summary line `N passed, N failed` that CI reads.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';

function run(label, cmd, args) {
  process.stderr.write(`\n== ${label}: ${cmd} ${args.join(' ')}\n`);
  const res = spawnSync(cmd, args, { stdio: 'inherit', shell: false });
  return res.status ?? 1;
}

const npx = 'npx';
if (
  run('typecheck', npx, ['tsc', '-b']) !== 0 ||
  run('typecheck tests', npx, ['tsc', '-p', 'tsconfig.tests.json']) !== 0
) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}
if (run('lint', npx, ['biome', 'check', '.']) !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}

mkdirSync('test-results', { recursive: true });
const report = 'test-results/vitest.json';
const status = run('tests', npx, [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
]);

let passed = 0;
let failed = 0;
try {
  const summary = JSON.parse(readFileSync(report, 'utf8'));
  passed = summary.numPassedTests;
  failed =
    summary.numFailedTests + (summary.success || status === 0 ? 0 : summary.numFailedTests === 0 ? 1 : 0);
} catch {
  failed = 1;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(status === 0 && failed === 0 ? 0 : 1);
