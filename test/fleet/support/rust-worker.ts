// Starts our native Rust worker (test/fleet/rust: upstream's tasker-worker core with our Rust handlers) on a
// fleet's database, loopback only, logging to a file. Its configuration is the Python worker's [worker] part
// (both embed the same Rust core) under the Rust worker's own id and type.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { Fleet } from './fleet.js';
import { freeLoopbackPort, type LoggedProcess, spawnLogged, waitUntil } from './processes.js';
import { baseEnv, writeMergedConfig } from './upstream-processes.js';

export interface RustWorker {
  /** `[worker] worker_id` of its configuration. */
  readonly workerId: string;
  readonly healthUrl: string;
  readonly process: LoggedProcess;
  /** Steps whose `fleet_hold.hold` handler has started (claimed, message acked, handler running). */
  readonly holding: ReadonlySet<string>;
  stop(): Promise<void>;
  /** SIGKILL: no shutdown, no result, what a crashed or OOM-killed worker leaves behind. */
  kill(): Promise<void>;
}

/** The Python worker's [worker] TOML with the Rust worker's identity; each replaced line must be there. */
function asRustWorker(toml: string, name: string): string {
  const replace = (text: string, from: RegExp, to: string) => {
    if (!from.test(text)) throw new Error(`python-worker.toml has no line matching ${from}`);
    return text.replace(from, to);
  };
  let out = replace(toml, /^worker_id = .*$/m, `worker_id = "fleet-${name}"`);
  out = replace(out, /^worker_type = .*$/m, 'worker_type = "rust"');
  return replace(out, /^system_id = "fleet-python-worker-events"$/m, `system_id = "fleet-${name}-events"`);
}

export async function startRustWorker(
  fleet: Fleet,
  options: {
    /** Directory of task templates this worker registers and serves (decides its namespaces). */
    templateDir: string;
    /** Distinguishes several Rust workers in one test (worker id, log and config file names). */
    name?: string;
    startupTimeoutMs?: number;
  },
): Promise<RustWorker> {
  const { rustWorkerBinary } = inject('fleet');
  const name = options.name ?? 'rust-worker';
  const port = await freeLoopbackPort();
  const configDir = join(fleet.logDir, name);
  const configPath = await writeMergedConfig('python-worker', configDir);
  await writeFile(configPath, asRustWorker(await readFile(configPath, 'utf8'), name));
  let workerId: string | undefined;
  const holding = new Set<string>();
  const proc = await spawnLogged(name, rustWorkerBinary, [], {
    // The config loader also reads a `.env` from the working directory: run where there is none.
    cwd: configDir,
    env: {
      ...baseEnv(fleet.db.url, configPath, port),
      TASKER_TEMPLATE_PATH: options.templateDir,
      // The worker exits when this test process does, even if it dies before its afterAll.
      FLEET_EXIT_WITH_PARENT: '1',
    },
    logFile: join(fleet.logDir, `${name}.log`),
    onStdoutLine: (line) => {
      const ready = /^FLEET_RUST_WORKER_READY (\S+)/.exec(line);
      if (ready) workerId = ready[1];
      const held = /^FLEET_RUST_HOLDING (\S+)/.exec(line);
      if (held?.[1]) holding.add(held[1]);
    },
  });
  const kill = async () => {
    proc.child.kill('SIGKILL');
    await proc.exited;
    await proc.stop();
  };
  fleet.track(proc);
  const healthUrl = `http://127.0.0.1:${port}/health`;
  try {
    const id = await waitUntil('the Rust worker to start', async () => workerId, {
      timeoutMs: options.startupTimeoutMs ?? 60_000,
      process: proc,
    });
    await waitUntil(
      'the Rust worker to report healthy',
      async () => {
        const response = await fetch(healthUrl, { signal: AbortSignal.timeout(5_000) });
        return response.status === 200 ? true : undefined;
      },
      { timeoutMs: 30_000, process: proc },
    );
    return { workerId: id, healthUrl, process: proc, holding, stop: () => proc.stop(), kill };
  } catch (error) {
    await proc.stop();
    throw error;
  }
}
