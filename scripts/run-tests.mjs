// `npm test`: typecheck, lint, then every vitest tier (unit, integration, e2e, conformance, fleet, chaos),
// ending with the plain summary line `N passed, N failed` that CI reads.
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

/**
 * Two vitest runs: every tier but chaos, then chaos alone. The chaos suite kills processes and restarts a
 * PostgreSQL server and asserts recovery-time bounds; sharing 2 cores with the other tiers would make those
 * bounds (and the other tiers' lease timings) depend on what happens to run alongside. Arguments given to
 * `npm test -- …` replace the phases with one run of exactly what was asked.
 */
const phases =
  process.argv.length > 2
    ? [{ label: 'tests', args: process.argv.slice(2) }]
    : [
        {
          label: 'tests',
          args: ['unit', 'integration', 'e2e', 'conformance', 'fleet'].flatMap((p) => ['--project', p]),
        },
        { label: 'chaos tests', args: ['--project', 'chaos'] },
      ];

let passed = 0;
let failed = 0;
let ok = true;
for (const [i, phase] of phases.entries()) {
  const report = `test-results/vitest${i === 0 ? '' : `-${i}`}.json`;
  const status = run(phase.label, npx, [
    'vitest',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...phase.args,
  ]);
  try {
    const summary = JSON.parse(readFileSync(report, 'utf8'));
    passed += summary.numPassedTests;
    const unexplained = status !== 0 && !summary.success && summary.numFailedTests === 0 ? 1 : 0;
    failed += summary.numFailedTests + unexplained;
  } catch {
    failed += 1;
  }
  if (status !== 0) ok = false;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(ok && failed === 0 ? 0 : 1);
