// `npm run lint` step: fails when a text file of the repository points outside it — a machine path (`/work/…`,
// `/home/…`, `/root/…`, `file:///…`), a relative path that climbs out of the repository (`../shared/…` from the
// root), or a background document cited without its place in `docs/` (docs/contributing.md "Comments and docs").
// Contributors and npm users only have the repository, so such a reference is a dead end for them.
//
// Hand-written because no tool we use does this: biome has no rule for paths in comments, strings and prose,
// link checkers only follow Markdown links, and a lint plugin would be more code than these few patterns over
// `git ls-files`.
//
// The one allowed reference outside: test tooling (`scripts/`, test files) may read CI's pgmq 1.5.1 fixture at
// `<repo>/../shared/fixtures/pgmq-1.5.1`.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const self = relative(root, fileURLToPath(import.meta.url));

/** A path separator in text (`../shared`) or between path.join arguments (`'..', 'shared'`). */
const SEP = String.raw`(?:/|['"]\s*,\s*['"])`;
const FIXTURE = new RegExp(String.raw`\.\.${SEP}shared${SEP}fixtures${SEP}pgmq-1\.5\.1`, 'g');
const SHARED = new RegExp(String.raw`\.\.${SEP}shared\b`, 'g');
const CLIMB = /(?<![\w.])((?:\.\.\/)+)/g;

/** Patterns that are wrong wherever they appear. */
const ALWAYS = [
  { re: /(?<![\w.~-])\/(?:work|home|root)\//g, why: 'absolute machine path' },
  // A URL built from a computed path (`file://${zip}`) or elided in prose (`file://…`) names no machine path.
  { re: /file:\/\/(?!\$\{|…)/g, why: 'file:// URL' },
  {
    re: /\b(?:queue-protocol|perf-anchors|user-expectations|style-anchors)\b|\bSTYLE\.md\b/g,
    why: 'background document outside the repository (cite docs/protocol.md, docs/performance.md or docs/contributing.md)',
  },
  {
    re: /(?<!docs\/)\b(?:wire-types|upstream-workers)\.md\b/g,
    why: 'cite it as docs/wire-types.md or docs/upstream-workers.md',
  },
];

const BINARY = /\.(?:png|jpe?g|gif|ico|webp|pdf|zip|gz|tgz|wasm|node|woff2?|ttf|bin)$/i;

function isTestTooling(file) {
  return file.startsWith('scripts/') || /(?:^|\/)tests?\//.test(file) || /\.test\.[cm]?[jt]s$/.test(file);
}

function lineAndColumn(text, index) {
  const before = text.slice(0, index);
  const line = before.split('\n').length;
  return `${line}:${index - before.lastIndexOf('\n')}`;
}

const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
  cwd: root,
  encoding: 'utf8',
})
  .split('\0')
  .filter((f) => f !== '' && f !== self && !BINARY.test(f))
  .filter((f) => existsSync(resolve(root, f)) && statSync(resolve(root, f)).isFile());

const problems = [];
let scanned = 0;
for (const file of files) {
  const text = readFileSync(resolve(root, file), 'utf8');
  if (text.includes('\0')) continue;
  scanned += 1;
  const report = (index, why, match) =>
    problems.push(`${file}:${lineAndColumn(text, index)}: ${why}: ${match.split(/\s/)[0].slice(0, 60)}`);

  for (const { re, why } of ALWAYS) {
    for (const m of text.matchAll(re)) report(m.index, why, m[0]);
  }
  const fixtureAt = new Set();
  for (const m of text.matchAll(FIXTURE)) {
    fixtureAt.add(m.index);
    if (!isTestTooling(file))
      report(m.index, 'the pgmq 1.5.1 fixture may only be read by scripts and tests', m[0]);
  }
  for (const m of text.matchAll(SHARED)) {
    if (fixtureAt.has(m.index)) continue;
    // `../shared/x` inside the repository (e.g. packages/examples/src/shared) is fine; a join-form `'..', 'shared'`
    // cannot be resolved here and is reported.
    if (m[0].startsWith('../') && !climbsOut(file, m[0])) continue;
    report(m.index, 'path outside the repository', m[0]);
  }
  for (const m of text.matchAll(CLIMB)) {
    if (fixtureAt.has(m.index) || !climbsOut(file, m[1])) continue;
    if (text.startsWith('../shared', m.index)) continue; // reported above
    report(m.index, 'relative path climbs out of the repository', text.slice(m.index, m.index + 60));
  }
}

/** Whether `rel` (a `../`-prefixed path) resolved from `file`'s directory leaves the repository. */
function climbsOut(file, rel) {
  const target = relative(root, resolve(root, dirname(file), rel));
  return target === '..' || target.startsWith(`..${sep}`);
}

if (problems.length > 0) {
  for (const p of problems) console.error(p);
  console.error(
    `check-references: ${problems.length} reference(s) outside the repository in ${scanned} files`,
  );
  process.exit(1);
}
console.log(`check-references: ${scanned} files, every reference inside the repository`);
