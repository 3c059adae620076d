// `npm test`: typecheck, lint, then the vitest tiers on both ends of the pgmq versions we support (the pinned
// crate's, and 1.5.1, what upstream's PostgreSQL 17 image ships, or the pgmq SQL directory given in
// TASKER_BRIDGE_PGMQ_SQL_DIR), ending with the plain summary line `N passed, N failed` that CI reads.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readSuiteErrors, suiteErrorsPath } from './suite-errors-reporter.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const npx = 'npx';

function run(label, cmd, args, env = process.env) {
  process.stderr.write(`\n== ${label}: ${cmd} ${args.join(' ')}\n`);
  const res = spawnSync(cmd, args, { stdio: 'inherit', shell: false, cwd: root, env });
  return res.status ?? 1;
}

if (
  run('typecheck', npx, ['tsc', '-b']) !== 0 ||
  run('typecheck tests', npx, ['tsc', '-p', 'tsconfig.tests.json']) !== 0
) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}
// `npm run lint`, step by step: biome, references inside the repository, knip (no unused file, export or
// dependency), then publint and are-the-types-wrong on every publishable package (turbo's `lint:package`).
if (
  run('lint', npx, ['biome', 'check', '.']) !== 0 ||
  run('references', process.execPath, ['scripts/check-references.mjs']) !== 0 ||
  run('unused code and dependencies', npx, ['knip']) !== 0 ||
  run('published packages', npx, ['turbo', 'run', 'lint:package', '--output-logs=errors-only']) !== 0
) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}

// `tsc -b` has just built devdb: ask it which pgmq each phase gets, by the same resolution the tests' global
// setup makes, so the labels below are what the phases run on.
const devdb = await import(pathToFileURL(join(root, 'packages/devdb/dist/index.js')).href);

async function pgmqEnd(env) {
  try {
    return { env, label: devdb.describePgmq(await devdb.loadUpstreamArtifacts({ env })) };
  } catch (error) {
    // The phases report the same error in context; the label says the version is unknown.
    return { env, label: `pgmq (not resolved: ${error.message.split('\n')[0]})` };
  }
}

// Unit, conformance and packed-package tests do not depend on the pgmq version: they run on the first end only.
const crateEnv = { ...process.env };
delete crateEnv[devdb.PGMQ_SQL_DIR_ENV];
const ends = [
  { ...(await pgmqEnd(crateEnv)), tiers: ['unit', 'integration', 'e2e', 'conformance', 'fleet', 'packed'] },
];
const pgmqDir = process.env[devdb.PGMQ_SQL_DIR_ENV] || join(root, '..', 'shared', 'fixtures', 'pgmq-1.5.1');
if (process.env[devdb.PGMQ_SQL_DIR_ENV] || existsSync(pgmqDir)) {
  const dirEnv = { ...process.env, [devdb.PGMQ_SQL_DIR_ENV]: pgmqDir };
  ends.push({ ...(await pgmqEnd(dirEnv)), tiers: ['integration', 'e2e', 'fleet'] });
} else {
  console.log(`pgmq 1.5.1 SQL not found at ${pgmqDir}: running on the pgmq crate's version only`);
}

const projects = (...names) => names.flatMap((p) => ['--project', p]);

/**
 * Per pgmq end, two vitest runs: every tier but chaos, then chaos alone. The chaos suite kills processes and
 * restarts a PostgreSQL server and asserts recovery-time bounds; sharing 2 cores with the other tiers would make
 * those bounds (and the other tiers' lease timings) depend on what happens to run alongside. Arguments given to
 * `npm test -- …` replace the phases with one run of exactly what was asked, on each pgmq end.
 */
const phases = ends.flatMap((end) => {
  if (process.argv.length > 2)
    return [{ label: `tests on ${end.label}`, args: process.argv.slice(2), env: end.env, tiers: [] }];
  return [
    {
      label: `${end.tiers.join(', ')} on ${end.label}`,
      args: projects(...end.tiers),
      env: end.env,
      tiers: end.tiers,
    },
    { label: `chaos on ${end.label}`, args: projects('chaos'), env: end.env, tiers: ['chaos'] },
  ];
});

mkdirSync(join(root, 'test-results'), { recursive: true });

/** Which tier (vitest project) each test file belongs to, as vitest's own configuration says. */
function tierOfFiles() {
  const res = spawnSync(npx, ['vitest', 'list', '--filesOnly', '--json'], { cwd: root, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`vitest list failed:\n${res.stderr}`);
  return new Map(JSON.parse(res.stdout).map((entry) => [entry.file, entry.projectName]));
}
const tierOf = tierOfFiles();

/**
 * The failed tests of a report, one line each (file, test, the first line of its first failure), for the summary:
 * CI keeps only the tail of a run's output, and a count without names cannot be acted on.
 */
function failedTests(summary, suiteErrors) {
  const firstLine = (message) => (message ?? '').split('\n')[0].slice(0, 200);
  const lines = [];
  for (const file of summary.testResults) {
    const name = relative(root, file.name);
    for (const test of file.assertionResults) {
      if (test.status !== 'failed') continue;
      lines.push(`FAILED ${name} > ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`);
    }
    if (file.status === 'failed' && file.assertionResults.every((test) => test.status !== 'failed')) {
      const errors = suiteErrors.filter((e) => e.file === file.name);
      if (errors.length === 0) lines.push(`FAILED ${name}: ${firstLine(file.message)}`);
      for (const e of errors) lines.push(`FAILED ${name} > ${e.where}: ${firstLine(e.message)}`);
    }
  }
  for (const e of suiteErrors.filter((e) => e.file === undefined)) {
    lines.push(`ERROR ${e.where}: ${firstLine(e.message)}`);
  }
  return lines;
}

/** Passed, failed and skipped tests per tier, from the report's per-file results. */
function countsByTier(summary) {
  const counts = new Map();
  for (const file of summary.testResults) {
    const tier = tierOf.get(file.name) ?? 'other';
    const c = counts.get(tier) ?? { passed: 0, failed: 0, skipped: 0 };
    for (const test of file.assertionResults) {
      if (test.status === 'passed') c.passed += 1;
      else if (test.status === 'failed') c.failed += 1;
      else c.skipped += 1;
    }
    counts.set(tier, c);
  }
  return counts;
}

/**
 * Counts from vitest's JSON report; a phase that crashed or exited non-zero unexplained fails, and so does every
 * tier it was asked to run that ran no test (all filtered out or skipped): a tier that checked nothing must not
 * look green.
 */
function phaseResult(report, status, tiers) {
  let summary;
  try {
    summary = JSON.parse(readFileSync(report, 'utf8'));
  } catch {
    return {
      passed: 0,
      failed: 1,
      skipped: 0,
      note: `no report (vitest exited with status ${status})`,
      tiers: [],
    };
  }
  const byTier = countsByTier(summary);
  const result = {
    passed: summary.numPassedTests,
    failed: summary.numFailedTests,
    skipped: summary.numPendingTests + summary.numTodoTests,
    note: '',
    tiers: [
      ...[...byTier].map(
        ([tier, c]) => `${tier}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`,
      ),
      ...failedTests(summary, readSuiteErrors(report)),
    ],
  };
  const empty = tiers.filter((tier) => {
    const c = byTier.get(tier);
    return c === undefined || c.passed + c.failed === 0;
  });
  if (empty.length > 0)
    return { ...result, failed: result.failed + empty.length, note: `ran no test: ${empty.join(', ')}` };
  if (result.passed + result.failed === 0) return { ...result, failed: 1, note: 'ran no test' };
  // Failures outside any test (a failing hook or file, an unhandled error) fail the run without a failed test.
  if (status !== 0 && result.failed === 0) {
    return { ...result, failed: 1, note: `vitest exited with status ${status} outside any test: see above` };
  }
  return result;
}

let passed = 0;
let failed = 0;
const lines = [];
for (const [i, phase] of phases.entries()) {
  // Reports are per phase and deleted first, so a phase that writes none is never credited a previous run's counts.
  const report = join(root, 'test-results', `vitest-phase-${i + 1}.json`);
  rmSync(report, { force: true });
  rmSync(suiteErrorsPath(report), { force: true });
  const started = Date.now();
  const status = run(
    phase.label,
    npx,
    [
      'vitest',
      'run',
      '--reporter=default',
      '--reporter=json',
      '--reporter=./scripts/suite-errors-reporter.mjs',
      `--outputFile.json=${report}`,
      ...phase.args,
    ],
    phase.env,
  );
  const result = phaseResult(report, status, phase.tiers);
  passed += result.passed;
  failed += result.failed;
  const seconds = Math.round((Date.now() - started) / 1000);
  const line = `${phase.label}: ${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped (${seconds} s)${result.note ? ` – ${result.note}` : ''}`;
  lines.push(line, ...result.tiers.map((tier) => `  ${tier}`));
  process.stderr.write(`== ${line}\n${result.tiers.map((tier) => `   ${tier}\n`).join('')}`);
}
process.stderr.write(`\n== summary\n${lines.map((line) => `   ${line}\n`).join('')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
