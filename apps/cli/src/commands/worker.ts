import { installSignalHandlers, TaskerWorker } from '@tasker-bridge/worker';
import type { Command } from 'commander';
import pino from 'pino';
import { UsageError } from '../errors.js';
import { exampleTemplatesDir, loadHandlerModules } from '../handler-modules.js';

interface WorkerOptions {
  handlers: string[];
  templates?: string;
  examples?: boolean;
  databaseUrl?: string;
  concurrency?: string;
  health?: string;
  workerId?: string;
}

export const WORKER_ENV_HELP = `
Environment (options win over variables):
  DATABASE_URL                       tasker database (required unless --database-url)
  PGMQ_DATABASE_URL                  pgmq database, when split from the tasker one
  TASKER_TEMPLATE_PATH               template directory (unless --templates / --examples)
  TASKER_MAX_CONCURRENT_HANDLERS     steps running at once (default 10)
  TASKER_POLL_INTERVAL_MS            fallback poll interval (default 500)
  TASKER_POLL_BATCH_SIZE             messages per poll (default 10)
  TASKER_VISIBILITY_TIMEOUT_SECONDS  visibility timeout (default 30)
  TASKER_HANDLER_TIMEOUT_MS          per-step time limit (default 30000)
  TASKER_DEPLOYMENT_MODE             hybrid | polling_only (default hybrid)
  TASKER_WEB_BIND_ADDRESS            host:port for /health and /metrics; :PORT is loopback (default off)
  TASKER_SHUTDOWN_GRACE_MS           drain time on SIGTERM (default 25000)
  TASKER_WORKER_ID                   worker id in results and logs
  TASKER_DB_POOL_SIZE, TASKER_DB_CONNECT_TIMEOUT_MS
  LOG_LEVEL                          pino level for the JSON logs on stderr (default info)

Handler modules export \`registerHandlers(registry)\` (or a default function), or StepHandler classes
and defineHandler() handlers (named, default, or in arrays).

Exit status: 0 after a clean shutdown (SIGTERM/SIGINT), 2 for bad arguments, 69 when the database is
unreachable, 78 for invalid configuration (the message names the setting), 1 otherwise.`;

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run a worker for handler modules and a templates directory (what you deploy)')
    .option('--handlers <modules...>', 'handler modules to load (paths or package names)', [])
    .option('--templates <dir>', 'task template directory, searched recursively (env TASKER_TEMPLATE_PATH)')
    .option(
      '--examples',
      'serve the @tasker-bridge/examples handlers and, without --templates, their templates',
    )
    .option('--database-url <url>', 'tasker database (env DATABASE_URL)')
    .option('--concurrency <n>', 'steps running at once (env TASKER_MAX_CONCURRENT_HANDLERS)')
    .option('--health <host:port>', 'serve /health and /metrics (env TASKER_WEB_BIND_ADDRESS)')
    .option('--worker-id <id>', 'worker id (env TASKER_WORKER_ID)')
    .addHelpText('after', WORKER_ENV_HELP)
    .action(async (options: WorkerOptions) => {
      if (options.handlers.length === 0 && !options.examples)
        throw new UsageError('give --handlers <modules...> (or --examples)');
      const registry = await loadHandlerModules(options.handlers, options.examples === true);
      const templatePath =
        options.templates ??
        (options.examples && !process.env.TASKER_TEMPLATE_PATH
          ? await exampleTemplatesDir('serving the example templates')
          : undefined);
      const concurrency = options.concurrency === undefined ? undefined : Number(options.concurrency);
      if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency <= 0))
        throw new UsageError(`--concurrency must be a positive integer, got '${options.concurrency}'`);
      const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' }, pino.destination(2));
      const worker = new TaskerWorker({
        registry,
        logger,
        ...(templatePath === undefined ? {} : { templatePath }),
        ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
        ...(concurrency === undefined ? {} : { concurrency }),
        ...(options.health === undefined ? {} : { healthAddress: options.health }),
        ...(options.workerId === undefined ? {} : { workerId: options.workerId }),
      });
      await worker.start();
      logger.info({ namespaces: worker.namespaces, worker_id: worker.workerId }, 'worker started');
      // SIGTERM/SIGINT drain in-flight steps, then stop; a second signal cancels them at once.
      const code = await new Promise<number>((resolve) => {
        installSignalHandlers(worker, {
          exit: (c: number) => resolve(c),
          onSignal: (signal, count) =>
            logger.info({ signal }, count === 1 ? 'draining, then stopping' : 'stopping now'),
        });
      });
      process.exitCode = code;
    });
}
