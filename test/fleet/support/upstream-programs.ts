// Installs the two upstream programs the fleet tests run, from the registries at pinned versions, into a cache
// directory outside the repository (test/fleet/support/paths.ts):
//   - `tasker-server`: `cargo install --locked tasker-orchestration --version =0.1.8` (crates.io); its build needs
//     `protoc` (tasker-shared compiles its gRPC protos) and Swagger UI's zip (utoipa-swagger-ui), which we take
//     from PyPI `grpcio-tools` and npm `swagger-ui-dist`
//   - the Python worker: `pip install tasker-py==0.1.8` (PyPI) into a virtualenv
// Both are idempotent and serialised by a directory lock, so parallel test runs share one build.

import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  type ServerBuildPaths,
  SWAGGER_UI_VERSION,
  serverBuildPaths,
  TASKER_ORCHESTRATION_VERSION,
  TASKER_PY_VERSION,
  venvDir,
} from './paths.js';
import { tailLines, withDirLock } from './processes.js';

export interface RunResult {
  code: number | null;
  output: string;
}

/** Runs a command to its end, its output collected (and appended to `logFile`). */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; logFile?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
    let output = '';
    const collect = (chunk: Buffer) => {
      log?.write(chunk);
      output += chunk.toString('utf8');
      if (output.length > 200_000) output = output.slice(-100_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) => {
      if (log) log.end(() => resolve({ code, output }));
      else resolve({ code, output });
    });
  });
}

async function must(command: string, args: readonly string[], options: Parameters<typeof run>[2] = {}) {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.code}:\n${tailLines(result.output, 30)}`);
  }
  return result.output;
}

// ---------------------------------------------------------------------------------------------------------------
// Python

/** A Python ≥ 3.10 interpreter (tasker-py's wheel is abi3 cp310): TASKER_FLEET_PYTHON, else the first on PATH. */
export async function findPython(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const candidates = env.TASKER_FLEET_PYTHON
    ? [env.TASKER_FLEET_PYTHON]
    : ['python3.12', 'python3.11', 'python3.13', 'python3.10', 'python3'];
  for (const candidate of candidates) {
    const result = await run(candidate, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])']).catch(
      () => undefined,
    );
    if (result?.code !== 0) continue;
    const [major, minor] = result.output.trim().split('.').map(Number);
    if (major === 3 && (minor ?? 0) >= 10) return candidate;
  }
  throw new Error(`no Python >= 3.10 found (tried ${candidates.join(', ')}); set TASKER_FLEET_PYTHON`);
}

const INSTALLED_VERSION = 'import importlib.metadata as m; print(m.version("tasker-py"))';

/** The virtualenv's interpreter, with tasker-py installed at the pinned version. */
export async function ensureTaskerPy(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dir = venvDir(env);
  const python = join(dir, 'bin', 'python');
  const installed = async () =>
    existsSync(python) && (await run(python, ['-c', INSTALLED_VERSION])).output.trim() === TASKER_PY_VERSION;
  if (await installed()) return python;
  return withDirLock(
    dir,
    async () => {
      if (await installed()) return python;
      if (!existsSync(python)) await must(await findPython(env), ['-m', 'venv', dir]);
      await must(python, ['-m', 'pip', 'install', '--quiet', `tasker-py==${TASKER_PY_VERSION}`]);
      if (!(await installed())) throw new Error(`tasker-py ${TASKER_PY_VERSION} not importable from ${dir}`);
      return python;
    },
    15 * 60_000,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// tasker-server

export interface BuildTiming {
  kind: 'cold' | 'warm';
  seconds: number;
  finishedAt: string;
  host: { cpus: number };
}

/** Appends a build's timing to a JSON array file (the figures in test/fleet/NOTE.md come from these). */
export async function recordTiming(file: string, timing: BuildTiming): Promise<void> {
  const previous = JSON.parse(await readFile(file, 'utf8').catch(() => '[]')) as BuildTiming[];
  await writeFile(file, `${JSON.stringify([...previous, timing], null, 2)}\n`);
}

/** True when cargo's install ledger says this root holds tasker-orchestration at the pinned version. */
async function installedServer(paths: ServerBuildPaths): Promise<boolean> {
  if (!existsSync(paths.binary)) return false;
  const ledger = await readFile(join(paths.root, '.crates.toml'), 'utf8').catch(() => '');
  return ledger.includes(`"tasker-orchestration ${TASKER_ORCHESTRATION_VERSION} `);
}

/**
 * Swagger UI's release zip in the layout utoipa-swagger-ui's build script reads (`<top>/dist/...`), made from the
 * npm package `swagger-ui-dist` of the same version (npm is reachable where GitHub is not).
 */
async function ensureSwaggerZip(paths: ServerBuildPaths, python: string): Promise<string> {
  if (existsSync(paths.swaggerZip)) return paths.swaggerZip;
  const work = await mkdtemp(join(tmpdir(), 'fleet-swagger-'));
  try {
    const tarball = (
      await must('npm', ['pack', `swagger-ui-dist@${SWAGGER_UI_VERSION}`, '--silent'], { cwd: work })
    )
      .trim()
      .split('\n')
      .pop();
    if (!tarball) throw new Error('npm pack printed no file name');
    await must('tar', ['xzf', tarball], { cwd: work });
    await mkdir(dirname(paths.swaggerZip), { recursive: true });
    const script = [
      'import os, sys, zipfile',
      'src, dest, top = sys.argv[1], sys.argv[2], sys.argv[3]',
      'with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:',
      '    z.writestr(top + "/", "")',
      '    z.writestr(top + "/dist/", "")',
      '    for name in sorted(os.listdir(src)):',
      '        z.write(os.path.join(src, name), top + "/dist/" + name)',
    ].join('\n');
    const partial = `${paths.swaggerZip}.partial`;
    await must(python, ['-c', script, join(work, 'package'), partial, `swagger-ui-${SWAGGER_UI_VERSION}`]);
    await must('mv', [partial, paths.swaggerZip]);
    return paths.swaggerZip;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** PyPI grpcio-tools, whose bundled protoc runs as `python -m grpc_tools.protoc`. */
const GRPCIO_TOOLS_VERSION = '1.85.1';

/**
 * A `protoc` executable for tasker-shared's build script (prost-build): PROTOC if set, else `protoc` on PATH, else
 * a wrapper around grpcio-tools installed in a virtualenv next to the build.
 */
async function ensureProtoc(paths: ServerBuildPaths, env: NodeJS.ProcessEnv): Promise<string> {
  if (env.PROTOC) return env.PROTOC;
  const onPath = await run('protoc', ['--version']).catch(() => undefined);
  if (onPath?.code === 0) return 'protoc';
  const wrapper = join(paths.base, 'protoc');
  const venv = join(paths.base, 'protoc-venv');
  if (!existsSync(wrapper)) {
    if (!existsSync(join(venv, 'bin', 'python'))) await must(await findPython(env), ['-m', 'venv', venv]);
    await must(join(venv, 'bin', 'python'), [
      '-m',
      'pip',
      'install',
      '--quiet',
      `grpcio-tools==${GRPCIO_TOOLS_VERSION}`,
    ]);
    await writeFile(
      wrapper,
      `#!/bin/sh\n# protoc bundled in PyPI grpcio-tools ${GRPCIO_TOOLS_VERSION}\n` +
        `exec "${join(venv, 'bin', 'python')}" -m grpc_tools.protoc "$@"\n`,
      { mode: 0o755 },
    );
  }
  await must(wrapper, ['--version']);
  return wrapper;
}

/**
 * The environment tasker-shared's and utoipa-swagger-ui's build scripts need (PROTOC, SWAGGER_UI_DOWNLOAD_URL).
 * Every build into the server's target directory must pass the same values: both scripts rerun when they change,
 * and so would everything compiled after them.
 */
export async function serverBuildEnv(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ PROTOC: string; SWAGGER_UI_DOWNLOAD_URL: string }> {
  const paths = serverBuildPaths(env);
  const zip = await ensureSwaggerZip(paths, await findPython(env));
  return { PROTOC: await ensureProtoc(paths, env), SWAGGER_UI_DOWNLOAD_URL: `file://${zip}` };
}

export interface ServerBinary {
  binary: string;
  /** Set when this call built it. */
  built?: BuildTiming;
}

/**
 * The `tasker-server` binary: TASKER_SERVER_BIN if set, else the cached install, else built now with
 * `cargo install --locked` (tens of minutes cold on 2 cores: see test/fleet/NOTE.md).
 */
export async function ensureTaskerServer(env: NodeJS.ProcessEnv = process.env): Promise<ServerBinary> {
  if (env.TASKER_SERVER_BIN) {
    if (!existsSync(env.TASKER_SERVER_BIN))
      throw new Error(`TASKER_SERVER_BIN=${env.TASKER_SERVER_BIN} missing`);
    return { binary: env.TASKER_SERVER_BIN };
  }
  const paths = serverBuildPaths(env);
  if (await installedServer(paths)) return { binary: paths.binary };
  if (env.TASKER_FLEET_NO_BUILD) {
    throw new Error(`tasker-server not installed at ${paths.binary} and TASKER_FLEET_NO_BUILD is set`);
  }
  return withDirLock(
    paths.root,
    async () => {
      if (await installedServer(paths)) return { binary: paths.binary };
      const buildEnv = await serverBuildEnv(env);
      const kind = existsSync(join(paths.targetDir, 'release')) ? 'warm' : 'cold';
      await mkdir(dirname(paths.buildLog), { recursive: true });
      await writeFile(paths.buildLog, `[fleet] ${new Date().toISOString()} ${kind} build\n`);
      const started = Date.now();
      const result = await run(
        'cargo',
        [
          'install',
          '--locked',
          'tasker-orchestration',
          '--version',
          `=${TASKER_ORCHESTRATION_VERSION}`,
          '--bin',
          'tasker-server',
          '--root',
          paths.root,
          '--target-dir',
          paths.targetDir,
        ],
        {
          env: { ...env, ...buildEnv },
          logFile: paths.buildLog,
        },
      );
      if (result.code !== 0 || !existsSync(paths.binary)) {
        throw new Error(
          `cargo install tasker-orchestration ${TASKER_ORCHESTRATION_VERSION} failed (${result.code}); ` +
            `log ${paths.buildLog}:\n${tailLines(result.output, 30)}`,
        );
      }
      const { availableParallelism } = await import('node:os');
      const built: BuildTiming = {
        kind,
        seconds: Math.round((Date.now() - started) / 1000),
        finishedAt: new Date().toISOString(),
        host: { cpus: availableParallelism() },
      };
      await recordTiming(paths.timings, built);
      return { binary: paths.binary, built };
    },
    120 * 60_000,
  );
}
