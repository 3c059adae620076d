// The packed-packages test's machinery: every publishable package packed with `npm pack`, a Node of a given
// version from the npm registry (the `node-<platform>-<arch>` packages hold the official binaries), and a scratch
// project outside the workspace that installs the tarballs with that Node's `npm install`, as a user would.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURE = join(ROOT, 'test', 'packed', 'fixture');
/** Core's consumer fixtures (Zod- and template-typed handlers, each wrong type an `@ts-expect-error`). */
const CONSUMER = join(ROOT, 'packages', 'core', 'test', 'consumer');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; `node` first on the PATH, so `npm` and every script run on that Node. */
export function run(command: string, args: string[], options: { cwd: string; node?: string }): Run {
  const env = { ...process.env };
  if (options.node) env.PATH = `${dirname(options.node)}:${env.PATH ?? ''}`;
  const res = spawnSync(command, args, { cwd: options.cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (res.error) throw res.error;
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

function must(what: string, result: Run): Run {
  if (result.code !== 0)
    throw new Error(`${what} failed (exit ${result.code}):\n${result.stderr.slice(-4000)}`);
  return result;
}

/** The workspace packages a user can install (not `private`), by name, with their directories. */
function publishable(): { name: string; dir: string }[] {
  const { workspaces } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    workspaces: string[];
  };
  return workspaces
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) }))
    .filter(({ manifest }) => manifest.private !== true)
    .map(({ dir, manifest }) => ({ name: manifest.name as string, dir }));
}

/** `npm pack` of every publishable package (built by the tier's global setup) into a fresh directory. */
export async function packAll(): Promise<Map<string, string>> {
  const out = await mkdtemp(join(tmpdir(), 'tasker-bridge-tarballs-'));
  const packages = publishable();
  const args = ['pack', '--silent', '--pack-destination', out, ...packages.flatMap((p) => ['-w', p.dir])];
  must('npm pack', run('npm', args, { cwd: ROOT }));
  const tarballs = new Map<string, string>();
  for (const { name } of packages) {
    const file = `${name.replace(/^@/, '').replace('/', '-')}-`;
    const found = readdirSync(out).find((f) => f.startsWith(file) && /^\d/.test(f.slice(file.length)));
    if (found === undefined) throw new Error(`npm pack wrote no tarball for ${name}`);
    tarballs.set(name, join(out, found));
  }
  return tarballs;
}

function cacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'tasker-bridge', 'packed-node');
}

/** `latest`, or a version: resolved against the registry, installed once into the cache, the binary's path. */
export function nodeFromNpm(version: string): { version: string; node: string } {
  const platform = process.platform === 'win32' ? 'win' : process.platform;
  const pkg = `node-${platform}-${process.arch}`;
  const exact = must(
    `npm view ${pkg}@${version}`,
    run('npm', ['view', `${pkg}@${version}`, 'version'], { cwd: ROOT }),
  )
    .stdout.trim()
    .split('\n')
    .pop() as string;
  const prefix = join(cacheDir(), exact);
  const node = join(prefix, 'node_modules', pkg, 'bin', 'node');
  if (!existsSync(node)) {
    must(
      `installing Node ${exact}`,
      run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, `${pkg}@${exact}`], {
        cwd: ROOT,
      }),
    );
  }
  return { version: exact, node };
}

/**
 * A scratch project outside the workspace holding the fixture (a handler module, its template, a strict
 * tsconfig) and core's consumer fixtures under `src/consumer/`, so the strict compile also proves their types
 * against the packed declarations. Readable by all: as root the dev database runs as `postgres`, which may start
 * the server from this project's own PostgreSQL binaries.
 */
export async function scratchProject(label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `tasker-bridge-packed-${label}-`));
  await chmod(dir, 0o755);
  await cp(FIXTURE, dir, { recursive: true });
  await cp(CONSUMER, join(dir, 'src', 'consumer'), { recursive: true });
  await writeFile(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'packed-scratch', private: true, type: 'module' }, null, 2)}\n`,
  );
  await mkdir(join(dir, 'dist'), { recursive: true });
  return dir;
}

/** `zod` as core's own tests pin it: the consumer fixtures' Zod-typed handler needs it. */
export function zodSpec(): string {
  const core = JSON.parse(readFileSync(join(ROOT, 'packages', 'core', 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  return `zod@${core.devDependencies.zod}`;
}

/** `npm install` of the given specs (tarballs, registry packages) into the project, on `node`. */
export function npmInstall(dir: string, node: string, specs: string[]): void {
  must('npm install', run('npm', ['install', '--no-audit', '--no-fund', ...specs], { cwd: dir, node }));
}

/** A long-running CLI process, with its output collected and a way to wait for a line. */
export interface Running {
  output(): string;
  waitFor(text: string, timeoutMs: number): Promise<void>;
  stop(signal: NodeJS.Signals): Promise<number | null>;
}

export function start(node: string, args: string[], cwd: string): Running {
  const child = spawn(node, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const waiters = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const wake of waiters) wake();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    output: () => output,
    waitFor(text, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!output.includes(text)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no "${text}" within ${timeoutMs} ms; output:\n${output.slice(-4000)}`));
        }, timeoutMs);
        waiters.add(check);
        void exited.then(() => {
          if (waiters.has(check)) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`exited before "${text}"; output:\n${output.slice(-4000)}`));
          }
        });
        check();
      });
    },
    stop(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
