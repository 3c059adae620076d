// Starts upstream's real programs on a test database, loopback only, logging to files:
//   - the orchestration server (`tasker-server`, REST API on 127.0.0.1:<free port>)
//   - the Python worker (tasker-py, our test/fleet/python/fleet_worker.py with its handlers)
// Each returns a handle whose stop() always kills the process (SIGTERM, then SIGKILL).

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FLEET_CONFIG_DIR, FLEET_PYTHON_DIR } from './paths.js';
import { freeLoopbackPort, type LoggedProcess, spawnLogged, waitUntil } from './processes.js';

/** tasker's config loader only accepts `postgresql://user:pass@host:port/db` for DATABASE_URL. */
export function taskerDatabaseUrl(url: string): string {
  const parsed = new URL(url);
  return `postgresql://${parsed.username}:${parsed.password}@${parsed.host}${parsed.pathname}`;
}

/** Writes the pre-merged TOML tasker reads from TASKER_CONFIG_PATH: common.toml + the context's file. */
export async function writeMergedConfig(
  context: 'orchestration' | 'python-worker',
  dir: string,
): Promise<string> {
  const common = await readFile(join(FLEET_CONFIG_DIR, 'common.toml'), 'utf8');
  const specific = await readFile(join(FLEET_CONFIG_DIR, `${context}.toml`), 'utf8');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${context}.toml`);
  await writeFile(path, `${common}\n${specific}`);
  return path;
}

/**
 * Environment shared by every upstream-core program we start: nothing inherited that could point them elsewhere
 * (no OTEL, no Redis).
 */
export function baseEnv(databaseUrl: string, configPath: string, port: number): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: 'C.UTF-8',
    TASKER_ENV: 'test',
    TASKER_CONFIG_PATH: configPath,
    DATABASE_URL: taskerDatabaseUrl(databaseUrl),
    TASKER_WEB_BIND_ADDRESS: `127.0.0.1:${port}`,
    TASKER_MESSAGING_BACKEND: 'pgmq',
    // tasker-shared's logging only exports OpenTelemetry when this is true.
    TELEMETRY_ENABLED: 'false',
    RUST_LOG: process.env.FLEET_RUST_LOG ?? 'info',
    RUST_BACKTRACE: '1',
    NO_COLOR: '1',
  };
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: response.status, body };
}

// ---------------------------------------------------------------------------------------------------------------

export interface OrchestrationServer {
  readonly baseUrl: string;
  readonly process: LoggedProcess;
  stop(): Promise<void>;
}

export async function startOrchestrationServer(options: {
  binary: string;
  databaseUrl: string;
  logDir: string;
  startupTimeoutMs?: number;
  /** Rewrites the merged TOML before the server reads it (a scenario's own settings). */
  patchConfig?: (toml: string) => string;
  /** Added to the environment (e.g. `PGMQ_DATABASE_URL` for split databases). */
  env?: NodeJS.ProcessEnv;
}): Promise<OrchestrationServer> {
  const port = await freeLoopbackPort();
  const configPath = await writeMergedConfig('orchestration', options.logDir);
  if (options.patchConfig) {
    await writeFile(configPath, options.patchConfig(await readFile(configPath, 'utf8')));
  }
  const proc = await spawnLogged('tasker-server', options.binary, [], {
    // The config loader also reads a `.env` from the working directory: run where there is none.
    cwd: options.logDir,
    env: { ...baseEnv(options.databaseUrl, configPath, port), ...options.env },
    logFile: join(options.logDir, 'orchestration.log'),
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitUntil(
      'the orchestration server to report healthy',
      async () => ((await getJson(`${baseUrl}/health`)).status === 200 ? true : undefined),
      { timeoutMs: options.startupTimeoutMs ?? 60_000, process: proc },
    );
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return { baseUrl, process: proc, stop: () => proc.stop() };
}

// ---------------------------------------------------------------------------------------------------------------

export interface PythonWorker {
  readonly workerId: string;
  readonly healthUrl: string;
  readonly process: LoggedProcess;
  stop(): Promise<void>;
}

export async function startPythonWorker(options: {
  python: string;
  databaseUrl: string;
  /** Directory of task templates this worker registers and serves (decides its namespaces). */
  templateDir: string;
  logDir: string;
  /** Extra handler names: `{ "<handler.callable>": "fleet_handlers.<module>.<Class>" }`. */
  aliases?: Record<string, string>;
  /** Distinguishes several Python workers in one test (log and config file names). */
  name?: string;
  startupTimeoutMs?: number;
}): Promise<PythonWorker> {
  const name = options.name ?? 'python-worker';
  const port = await freeLoopbackPort();
  const configDir = join(options.logDir, name);
  const configPath = await writeMergedConfig('python-worker', configDir);
  let workerId: string | undefined;
  const proc = await spawnLogged(name, options.python, [join(FLEET_PYTHON_DIR, 'fleet_worker.py')], {
    cwd: configDir,
    env: {
      ...baseEnv(options.databaseUrl, configPath, port),
      TASKER_TEMPLATE_PATH: options.templateDir,
      PYTHONPATH: FLEET_PYTHON_DIR,
      PYTHONDONTWRITEBYTECODE: '1',
      PYTHONUNBUFFERED: '1',
      ...(options.aliases ? { FLEET_HANDLER_ALIASES: JSON.stringify(options.aliases) } : {}),
    },
    logFile: join(options.logDir, `${name}.log`),
    onStdoutLine: (line) => {
      const match = /^FLEET_PY_WORKER_READY (\S+)/.exec(line);
      if (match) workerId = match[1];
    },
  });
  const healthUrl = `http://127.0.0.1:${port}/health`;
  try {
    const id = await waitUntil('the Python worker to start', async () => workerId, {
      timeoutMs: options.startupTimeoutMs ?? 60_000,
      process: proc,
    });
    await waitUntil(
      'the Python worker to report healthy',
      async () => ((await getJson(healthUrl)).status === 200 ? true : undefined),
      { timeoutMs: 30_000, process: proc },
    );
    return { workerId: id, healthUrl, process: proc, stop: () => proc.stop() };
  } catch (error) {
    await proc.stop();
    throw error;
  }
}
