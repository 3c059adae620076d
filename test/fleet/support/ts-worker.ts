// Our TypeScript worker (@tasker-bridge/worker) inside the test process, logging JSON lines to a file.

import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { HandlerRegistry, type Logger } from '@tasker-bridge/core';
import type { TaskTemplateInput } from '@tasker-bridge/schemas';
import { TaskerWorker } from '@tasker-bridge/worker';
import type { Fleet } from './fleet.js';

/** A Logger writing JSON lines to `path` (one file per worker in the run's log directory). */
export function fileLogger(path: string, bindings: Record<string, unknown> = {}): Logger {
  const write =
    (level: string) =>
    (obj: unknown, msg?: string): void => {
      const fields = typeof obj === 'object' && obj !== null ? obj : { value: obj };
      appendFileSync(
        path,
        `${JSON.stringify({ time: new Date().toISOString(), level, ...bindings, ...fields, msg }, errorReplacer)}\n`,
      );
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more: Record<string, unknown>) => fileLogger(path, { ...bindings, ...more }),
  } as Logger;
}

function errorReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value;
}

export interface TsWorkerOptions {
  /** Handler sources to register (each carries its name: `defineHandler(name, …)` or a class with handlerName). */
  handlers: readonly Parameters<HandlerRegistry['register']>[0][];
  /** Directory of templates to register (its namespaces are the ones served). */
  templatePath?: string;
  /** Templates as objects, in addition to the directory's. */
  templates?: readonly TaskTemplateInput[];
  name?: string;
  concurrency?: number;
  /**
   * No LISTEN: take steps only by polling, this often (ms). A race for every step that our worker would win on
   * notifications (it claims a notified step in a millisecond or two) becomes a fair one against a slower peer.
   */
  pollOnlyEveryMs?: number;
}

/** Starts a TaskerWorker on the fleet's database; the fleet stops it at teardown. */
export async function startTsWorker(fleet: Fleet, options: TsWorkerOptions): Promise<TaskerWorker> {
  const registry = new HandlerRegistry();
  for (const handler of options.handlers) registry.register(handler);
  const name = options.name ?? 'ts-worker';
  const worker = new TaskerWorker({
    registry,
    databaseUrl: fleet.db.url,
    ...(options.templatePath ? { templatePath: options.templatePath } : {}),
    ...(options.templates ? { templates: options.templates } : {}),
    concurrency: options.concurrency ?? 4,
    pollIntervalMs: options.pollOnlyEveryMs ?? 500,
    ...(options.pollOnlyEveryMs === undefined ? {} : { deploymentMode: 'polling_only' as const }),
    healthAddress: null,
    shutdownGraceMs: 5_000,
    logger: fileLogger(join(fleet.logDir, `${name}.log`)),
    // Test mode: a scenario may register templates whose other steps another worker (or nobody) runs.
    env: { TASKER_ENV: 'test' },
  });
  fleet.track({ stop: () => worker.stop() });
  await worker.start();
  return worker;
}
