import { type HandlerRegistry, type Logger, noopLogger } from '@tasker-bridge/core';
import type { DevOrchestrator, ProgressEvent, TaskSnapshot } from '@tasker-bridge/dev-orchestrator';
import { TaskerWorker } from '@tasker-bridge/worker';
import { loadDevDb, loadDevOrchestrator } from './dev-packages.js';

/**
 * Everything `dev` and `demo` need with no infrastructure: the embedded PostgreSQL with pgmq and the real tasker
 * schema (a fresh database cloned from the migrated template), our worker serving the templates, and the
 * development orchestrator playing tasker's orchestration. `close()` tears it all down.
 */
export interface DevSession {
  databaseUrl: string;
  worker: TaskerWorker;
  orchestrator: DevOrchestrator;
  runTask(request: TaskRunRequest): Promise<TaskSnapshot>;
  close(): Promise<void>;
}

export interface TaskRunRequest {
  namespace: string;
  name: string;
  version?: string;
  context: Record<string, unknown>;
  timeoutMs: number;
  onProgress?: (event: Extract<ProgressEvent, { kind: 'step' | 'task' }>) => void;
}

export interface DevSessionOptions {
  registry: HandlerRegistry;
  templatePath: string;
  /** Use this database instead of starting the embedded one. */
  databaseUrl?: string;
  logger?: Logger;
  /** Orchestration backoff base; 0.5 s keeps retries visible yet quick. */
  backoffBaseSeconds?: number;
  onStatus?: (message: string) => void;
}

export async function startDevSession(options: DevSessionOptions): Promise<DevSession> {
  const status = options.onStatus ?? (() => {});
  const cleanups: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    cleanups.length = 0;
  };
  try {
    const { DevOrchestrator } = await loadDevOrchestrator('a local run (`dev`, `demo`)');
    let databaseUrl = options.databaseUrl;
    if (databaseUrl === undefined) {
      const { createDatabaseFromTemplate, ensureTemplateDatabase, startDevCluster } = await loadDevDb(
        'the embedded database (`dev` without --database-url, `demo`)',
      );
      status('starting the embedded PostgreSQL (pgmq + tasker schema)…');
      const cluster = await startDevCluster();
      cleanups.push(() => cluster.release());
      const template = await ensureTemplateDatabase(cluster.adminUrl, cluster.artifacts);
      const db = await createDatabaseFromTemplate(cluster.adminUrl, template);
      cleanups.push(() => db.drop());
      databaseUrl = db.url;
    }
    const logger = options.logger ?? noopLogger;
    status('starting the TypeScript worker…');
    const worker = new TaskerWorker({
      registry: options.registry,
      databaseUrl,
      templatePath: options.templatePath,
      pollIntervalMs: 200,
      logger,
      // A development session: template steps without a handler are warned about, not refused (they fail when
      // they run, which the session then shows).
      env: { TASKER_ENV: 'development' },
    });
    await worker.start();
    cleanups.push(() => worker.stop({ graceMs: 2000 }));
    status(`worker ${worker.workerId} serves namespaces: ${worker.namespaces.join(', ')}`);

    const orchestrator = new DevOrchestrator({
      databaseUrl,
      logger,
      pollIntervalMs: 200,
      progressIntervalMs: 50,
      backoff: { baseDelaySeconds: options.backoffBaseSeconds ?? 0.5, jitterEnabled: false },
    });
    await orchestrator.start();
    cleanups.push(() => orchestrator.stop());

    return {
      databaseUrl,
      worker,
      orchestrator,
      close,
      async runTask(request) {
        const seenTaskStates = new Set<string>();
        let reported: (() => void) | undefined;
        // Events can arrive before createTask returns the task's uuid: hold them until it is known.
        const early: Extract<ProgressEvent, { kind: 'step' | 'task' }>[] = [];
        const deliver = (event: Extract<ProgressEvent, { kind: 'step' | 'task' }>) => {
          if (event.task_uuid !== created?.task_uuid) return;
          if (event.kind === 'task') seenTaskStates.add(event.to_state);
          request.onProgress?.(event);
          reported?.();
        };
        const listener = (event: ProgressEvent) => {
          if (event.kind === 'result_rejected') return;
          if (created === undefined) early.push(event);
          else deliver(event);
        };
        let created: { task_uuid: string } | undefined;
        orchestrator.on('progress', listener);
        try {
          created = await orchestrator.createTask({
            namespace: request.namespace,
            name: request.name,
            version: request.version ?? '1.0.0',
            context: request.context,
          });
          for (const event of early.splice(0)) deliver(event);
          const snapshot = await orchestrator.waitForTask(created.task_uuid, {
            timeoutMs: request.timeoutMs,
          });
          // Progress is read back from the transition tables a moment after it commits: wait (bounded) until the
          // final task state has been reported, so the live view ends with it.
          if (!seenTaskStates.has(snapshot.state)) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, 2000);
              reported = () => {
                if (seenTaskStates.has(snapshot.state)) {
                  clearTimeout(timer);
                  resolve();
                }
              };
            });
          }
          return snapshot;
        } finally {
          orchestrator.off('progress', listener as never);
        }
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}
