import { existsSync, readFileSync, statSync } from 'node:fs';
import { decodeTemplate } from '@tasker-bridge/worker';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { readContext } from '../context-arg.js';
import { startDevSession } from '../dev-session.js';
import { UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { exampleTemplatesDir, loadHandlerModules } from '../handler-modules.js';
import { parseLogLevel, stderrLogger } from '../logger.js';
import { compact, liveLine, prettyJson, renderSummary, snapshotJson } from '../report.js';
import { createStyle, useColor } from '../style.js';

interface DevOptions {
  context?: string;
  handlers: string[];
  templates?: string;
  examples?: boolean;
  json?: boolean;
  timeout: string;
  databaseUrl?: string;
  logLevel?: string;
}

/** `namespace/name[@version]`, or a template file whose namespace/name/version are read from it. */
export function resolveTemplateRef(ref: string): { namespace: string; name: string; version: string } {
  if (existsSync(ref) && statSync(ref).isFile()) {
    const template = decodeTemplate(parseYaml(readFileSync(ref, 'utf8')));
    return { namespace: template.namespace_name, name: template.name, version: template.version };
  }
  const match = /^([A-Za-z_][A-Za-z0-9_]*)\/([^@/]+)(?:@(.+))?$/.exec(ref);
  if (match === null)
    throw new UsageError(`template '${ref}': expected namespace/name[@version] or a template file`);
  return { namespace: match[1] as string, name: match[2] as string, version: match[3] ?? '1.0.0' };
}

export function registerDevCommand(program: Command): void {
  program
    .command('dev')
    .description(
      'run one task locally with no infrastructure: embedded database, development orchestrator, the worker; live progress per step, then the results',
    )
    .argument('<template>', 'namespace/name[@version] of a served template, or a template file')
    .option('-c, --context <json|@file>', 'task context: inline JSON, @file or a JSON file path', undefined)
    .option('--handlers <modules...>', 'handler modules to load (paths or package names)', [])
    .option('--templates <dir>', 'template directory (env TASKER_TEMPLATE_PATH; default: the examples)')
    .option('--examples', 'also load the @tasker-bridge/examples handlers')
    .option('--json', 'print the final task as JSON on stdout (progress still goes to stderr)')
    .option('--timeout <seconds>', 'give up waiting after this long', '60')
    .option(
      '--database-url <url>',
      'use this tasker database instead of the embedded one (env DATABASE_URL is not read)',
    )
    .option(
      '--log-level <level>',
      'worker and orchestrator log level on stderr: debug|info|warn|error|silent',
      'warn',
    )
    .addHelpText(
      'after',
      `
Examples:
  tasker-bridge dev linear_workflow_ts/mathematical_sequence_ts --context '{"even_number": 6}'
  tasker-bridge dev diamond_workflow_ts/parallel_computation_ts -c ctx.json --json
  tasker-bridge dev ./templates/orders.yaml --handlers ./dist/handlers.js --templates ./templates -c @ctx.json

Without --handlers the example handlers and templates are used. Exit status: 0 when the task completes,
1 when it ends in error or blocked_by_failures or times out, 2 for bad arguments, 69 when the database
cannot be started or reached, 78 for invalid configuration.`,
    )
    .action(async (ref: string, options: DevOptions) => {
      const style = createStyle(useColor(process.stderr));
      const target = resolveTemplateRef(ref);
      const context = await readContext(options.context);
      const timeoutSeconds = Number(options.timeout);
      if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0)
        throw new UsageError(`--timeout must be a positive number of seconds, got '${options.timeout}'`);
      const useExamples = options.examples === true || options.handlers.length === 0;
      const registry = await loadHandlerModules(options.handlers, useExamples);
      const templatePath =
        options.templates ??
        process.env.TASKER_TEMPLATE_PATH ??
        (await exampleTemplatesDir('`dev` without --templates'));
      const logger = stderrLogger(parseLogLevel(options.logLevel, 'warn'));

      const session = await startDevSession({
        registry,
        templatePath,
        ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
        logger,
        onStatus: (m) => process.stderr.write(`${style.dim(m)}\n`),
      });
      try {
        const events: Parameters<typeof renderSummary>[1][number][] = [];
        const startedAt = Date.now();
        process.stderr.write(
          `${style.bold('task')} ${target.namespace}/${target.name}@${target.version} context ${compact(context, Number.POSITIVE_INFINITY)}\n`,
        );
        const snapshot = await session.runTask({
          ...target,
          context,
          timeoutMs: timeoutSeconds * 1000,
          onProgress: (e) => {
            events.push(e);
            process.stderr.write(`${liveLine(e, startedAt, style)}\n`);
          },
        });
        if (options.json) process.stdout.write(`${prettyJson(snapshotJson(snapshot, events))}\n`);
        else process.stdout.write(renderSummary(snapshot, events, createStyle(useColor(process.stdout))));
        process.exitCode = snapshot.state === 'complete' ? ExitCode.Ok : ExitCode.Failure;
      } finally {
        await session.close();
      }
    });
}
