// The two upstream contenders, both on upstream's worker core (tasker-worker 0.1.8) with a no-op handler:
//   - `rust`: upstream's native worker, i.e. the fleet tests' Rust worker crate (test/fleet/rust, its handler
//     `bench_handlers.NoopHandler`), built by the fleet's own support (`ensureRustWorker`);
//   - `tasker-py`: the same core driven by Python (PyPI tasker-py 0.1.8, the fleet's cached virtualenv and
//     bootstrap `test/fleet/python/fleet_worker.py`), the no-op handler in test/bench/python.
// Both run the fleet's merged TOML changed by upstream-config.ts (upstream-default channel buffers, concurrency
// and pool like ours). The fleet's own start functions need a running fleet test; these start one process on a
// bench database and return once its health endpoint answers.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FLEET_PYTHON_DIR } from '../../fleet/support/paths.js';
import {
  freeLoopbackPort,
  type LoggedProcess,
  spawnLogged,
  waitUntil,
} from '../../fleet/support/processes.js';
import { ensureRustWorker } from '../../fleet/support/rust-worker-build.js';
import { baseEnv, writeMergedConfig } from '../../fleet/support/upstream-processes.js';
import { ensureTaskerPy } from '../../fleet/support/upstream-programs.js';
import { HANDLER_NAME, TEMPLATE_DIR } from './db.js';
import { BENCH_DIR } from './paths.js';
import { benchWorkerConfig } from './upstream-config.js';

export { ensureRustWorker, ensureTaskerPy };

interface StartOptions {
  databaseUrl: string;
  concurrency: number;
  logDir: string;
}

/** Writes this run's config; returns its path and the environment every upstream-core program gets. */
async function prepare(name: string, workerType: string, options: StartOptions) {
  const port = await freeLoopbackPort();
  const configDir = join(options.logDir, `${name}-c${options.concurrency}`);
  const configPath = await writeMergedConfig('python-worker', configDir);
  const toml = benchWorkerConfig(await readFile(configPath, 'utf8'), {
    concurrency: options.concurrency,
    workerId: `bench-${name}`,
    workerType,
  });
  await writeFile(configPath, toml);
  const env = {
    ...baseEnv(options.databaseUrl, configPath, port),
    RUST_LOG: process.env.BENCH_RUST_LOG ?? 'info',
    TASKER_TEMPLATE_PATH: TEMPLATE_DIR,
  };
  return { configDir, env, healthUrl: `http://127.0.0.1:${port}/health` };
}

async function awaitReady(proc: LoggedProcess, isReady: () => boolean, healthUrl: string): Promise<void> {
  try {
    await waitUntil(`${proc.name} to start`, async () => (isReady() ? true : undefined), {
      timeoutMs: 90_000,
      process: proc,
    });
    await waitUntil(
      `${proc.name} to report healthy`,
      async () => {
        const r = await fetch(healthUrl, { signal: AbortSignal.timeout(2_000) });
        return r.status === 200 ? true : undefined;
      },
      { timeoutMs: 30_000, process: proc },
    );
  } catch (error) {
    await proc.stop();
    throw error;
  }
}

export async function startNativeRustWorker(
  options: StartOptions & { binary: string },
): Promise<LoggedProcess> {
  const { configDir, env, healthUrl } = await prepare('rust', 'rust', options);
  let ready = false;
  const proc = await spawnLogged('rust', options.binary, [], {
    // Its config loader also reads a `.env` from the working directory: run where there is none.
    cwd: configDir,
    // Exits if the bench dies without stopping it.
    env: { ...env, FLEET_EXIT_WITH_PARENT: '1' },
    logFile: join(configDir, 'rust-worker.log'),
    onStdoutLine: (line) => {
      if (line.startsWith('FLEET_RUST_WORKER_READY')) ready = true;
    },
  });
  await awaitReady(proc, () => ready, healthUrl);
  return proc;
}

export async function startTaskerPy(options: StartOptions & { python: string }): Promise<LoggedProcess> {
  const { configDir, env, healthUrl } = await prepare('tasker-py', 'python', options);
  let ready = false;
  const proc = await spawnLogged('tasker-py', options.python, [join(FLEET_PYTHON_DIR, 'fleet_worker.py')], {
    cwd: configDir,
    env: {
      ...env,
      PYTHONPATH: `${FLEET_PYTHON_DIR}:${join(BENCH_DIR, 'python')}`,
      PYTHONDONTWRITEBYTECODE: '1',
      PYTHONUNBUFFERED: '1',
      FLEET_HANDLER_ALIASES: JSON.stringify({ [HANDLER_NAME]: 'bench_handlers.NoopHandler' }),
    },
    logFile: join(configDir, 'tasker-py.log'),
    onStdoutLine: (line) => {
      if (line.startsWith('FLEET_PY_WORKER_READY')) ready = true;
    },
  });
  await awaitReady(proc, () => ready, healthUrl);
  return proc;
}
