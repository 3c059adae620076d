// Upstream's Rust worker core, through tasker-py 0.1.8 (PyPI) with the no-op Python handler.
// Reuses the fleet tests' support code (test/fleet/support): the cached virtualenv (`ensureTaskerPy`), the merged
// TOML config (`writeMergedConfig`), the Python bootstrap (`test/fleet/python/fleet_worker.py`), process handling.
// What is generalised here (the fleet's `startPythonWorker` has a fixed config): the handler-concurrency settings
// are patched per run, and the bench's handler package is added to PYTHONPATH.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FLEET_PYTHON_DIR } from '../../fleet/support/paths.js';
import {
  freeLoopbackPort,
  type LoggedProcess,
  spawnLogged,
  waitUntil,
} from '../../fleet/support/processes.js';
import { taskerDatabaseUrl, writeMergedConfig } from '../../fleet/support/upstream-processes.js';
import { ensureTaskerPy } from '../../fleet/support/upstream-programs.js';
import { HANDLER_NAME, TEMPLATE_DIR } from './db.js';
import { BENCH_DIR } from './paths.js';

export { ensureTaskerPy };

/**
 * Concurrency settings made comparable with our worker's `concurrency: c` (which also sizes its pool at c + 4):
 * - `[worker.mpsc_channels.handler_dispatch] max_concurrent_handlers = c` (the semaphore around handler calls);
 * - `[worker.event_systems.worker.processing] max_concurrent_operations = c`;
 * - `[common.database.pool] max_connections = c + 4`.
 * Everything else is the fleet tests' python-worker.toml (Hybrid mode: LISTEN + fallback poller).
 */
export function patchConfig(toml: string, concurrency: number): string {
  const set = (text: string, key: string, value: number) => {
    const re = new RegExp(`^(${key}\\s*=\\s*)\\d+`, 'm');
    if (!re.test(text)) throw new Error(`bench: ${key} not found in the fleet config`);
    return text.replace(re, `$1${value}`);
  };
  let out = set(toml, 'max_concurrent_handlers', concurrency);
  out = set(out, 'max_concurrent_operations', concurrency);
  out = set(out, 'max_connections', concurrency + 4);
  return out;
}

export async function startRustWorker(options: {
  python: string;
  databaseUrl: string;
  concurrency: number;
  logDir: string;
}): Promise<LoggedProcess> {
  const port = await freeLoopbackPort();
  const configDir = join(options.logDir, `rust-c${options.concurrency}`);
  const configPath = await writeMergedConfig('python-worker', configDir);
  await writeFile(configPath, patchConfig(await readFile(configPath, 'utf8'), options.concurrency));
  let ready = false;
  const proc = await spawnLogged('tasker-py', options.python, [join(FLEET_PYTHON_DIR, 'fleet_worker.py')], {
    cwd: configDir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LANG: 'C.UTF-8',
      TASKER_ENV: 'test',
      TASKER_CONFIG_PATH: configPath,
      DATABASE_URL: taskerDatabaseUrl(options.databaseUrl),
      TASKER_WEB_BIND_ADDRESS: `127.0.0.1:${port}`,
      TASKER_MESSAGING_BACKEND: 'pgmq',
      TELEMETRY_ENABLED: 'false',
      RUST_LOG: process.env.BENCH_RUST_LOG ?? 'info',
      NO_COLOR: '1',
      TASKER_TEMPLATE_PATH: TEMPLATE_DIR,
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
  try {
    await waitUntil('tasker-py to start', async () => (ready ? true : undefined), {
      timeoutMs: 90_000,
      process: proc,
    });
    await waitUntil(
      'tasker-py to report healthy',
      async () => {
        const r = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) });
        return r.status === 200 ? true : undefined;
      },
      { timeoutMs: 30_000, process: proc },
    );
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return proc;
}
