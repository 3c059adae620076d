import { HandlerRegistry } from '@tasker-bridge/core';
import type { Command } from 'commander';
import { loadExamples } from '../dev-packages.js';
import { startDevSession } from '../dev-session.js';
import { ExitCode } from '../exit-codes.js';
import { parseLogLevel, stderrLogger } from '../logger.js';
import { colorState, compact, liveLine } from '../report.js';
import { createStyle, useColor } from '../style.js';

interface DemoWorkflow {
  title: string;
  explain: string;
  namespace: string;
  name: string;
  context: Record<string, unknown>;
  /** The values worth pointing at, per step. */
  highlight: Record<string, string>;
  expectAttempts?: Record<string, number>;
}

/** The three workflows the demo runs; every value shown is computed by the TS handlers in @tasker-bridge/examples. */
export const DEMO_WORKFLOWS: readonly DemoWorkflow[] = [
  {
    title: 'Linear workflow: four steps in a row',
    explain: 'even_number = 6 → square → add 10 → multiply by 3 → divide by 2 (expect 36 → 46 → 138 → 69)',
    namespace: 'linear_workflow_ts',
    name: 'mathematical_sequence_ts',
    context: { even_number: 6 },
    highlight: {
      linear_step_1: 'squared_value',
      linear_step_2: 'added_value',
      linear_step_3: 'multiplied_value',
      linear_step_4: 'final_value',
    },
  },
  {
    title: 'Diamond workflow: two branches run in parallel, then converge',
    explain:
      'start = 6² = 36; branch B = start + 25, branch C = start × 2; end = (B + C) / 2 (expect 61, 72 → 66.5)',
    namespace: 'diamond_workflow_ts',
    name: 'parallel_computation_ts',
    context: { even_number: 6 },
    highlight: {
      diamond_start_ts: 'squared_value',
      diamond_branch_b_ts: 'branch_b_value',
      diamond_branch_c_ts: 'branch_c_value',
      diamond_end_ts: 'final_value',
    },
  },
  {
    title: 'A retry: the first attempt fails, orchestration retries, the second succeeds',
    explain:
      'fetch_quote throws a RetryableError on attempt 1 (a flaky service); it waits for its backoff, runs again and succeeds',
    namespace: 'demo_ts',
    name: 'flaky_once_demo_ts',
    context: {},
    highlight: { fetch_quote: 'message', confirm_quote: 'message' },
    expectAttempts: { fetch_quote: 2 },
  },
];

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'run the linear and diamond workflows and a retry end to end on the embedded database, and explain what happens',
    )
    .option('--log-level <level>', 'worker and orchestrator log level on stderr', 'error')
    .addHelpText(
      'after',
      `
Starts the embedded PostgreSQL (first run: fetches pgmq and the tasker schema with cargo), the TypeScript
worker and the development orchestrator, then runs three tasks. The report goes to stdout, status to stderr.
Exit status: 0 when every task ends as expected, 1 otherwise, 69 when the database cannot be started.`,
    )
    .action(async (options: { logLevel?: string }) => {
      const out = createStyle(useColor(process.stdout));
      const err = createStyle(useColor(process.stderr));
      const began = Date.now();
      const examples = await loadExamples('`demo`');
      const session = await startDevSession({
        registry: examples.registerExampleHandlers(new HandlerRegistry()),
        templatePath: examples.templatesDir,
        logger: stderrLogger(parseLogLevel(options.logLevel, 'error')),
        onStatus: (m) => process.stderr.write(`${err.dim(m)}\n`),
      });
      let allGood = true;
      try {
        process.stdout.write(
          `${out.bold('tasker-bridge demo')}: tasks are DAGs of steps; orchestration queues each ready step on PostgreSQL (pgmq),\n` +
            `the TypeScript worker claims it, runs its handler and reports the result; orchestration then queues what became ready.\n`,
        );
        for (const [index, wf] of DEMO_WORKFLOWS.entries()) {
          process.stdout.write(`\n${out.bold(`${index + 1}. ${wf.title}`)}\n   ${out.dim(wf.explain)}\n`);
          process.stdout.write(
            `   ${out.dim(`template ${wf.namespace}/${wf.name}, context ${JSON.stringify(wf.context)}`)}\n\n`,
          );
          const startedAt = Date.now();
          const snapshot = await session.runTask({
            namespace: wf.namespace,
            name: wf.name,
            context: wf.context,
            timeoutMs: 60_000,
            onProgress: (e) => process.stdout.write(`   ${liveLine(e, startedAt, out)}\n`),
          });
          process.stdout.write(
            `\n   ${out.bold('Results')} (task ${colorState(out, snapshot.state)} in ${((Date.now() - startedAt) / 1000).toFixed(1)} s)\n`,
          );
          for (const step of snapshot.steps) {
            const value = (step.results as { result?: Record<string, unknown> } | null)?.result ?? {};
            const key = wf.highlight[step.name];
            const shown =
              key !== undefined && key in value ? `${key} = ${compact(value[key])}` : compact(value);
            const attempts = step.attempts ?? 0;
            process.stdout.write(
              `   ${out.cyan(step.name.padEnd(22))} ${colorState(out, step.state).padEnd(8)} ${out.dim(`${attempts} attempt${attempts === 1 ? ' ' : 's'}`)}  ${shown}\n`,
            );
          }
          const attemptsOk = Object.entries(wf.expectAttempts ?? {}).every(
            ([name, n]) => snapshot.steps.find((s) => s.name === name)?.attempts === n,
          );
          if (snapshot.state !== 'complete' || !attemptsOk) allGood = false;
        }
        process.stdout.write(
          `\n${allGood ? out.green('All three tasks completed as expected.') : out.red('Something did not go as expected (see above).')}\n` +
            `Next: \`tasker-bridge dev <namespace/name> --context '{...}'\` runs any example template; see \`tasker-bridge --help\`.\n`,
        );
        process.stderr.write(
          `${err.dim(`demo finished in ${((Date.now() - began) / 1000).toFixed(1)} s`)}\n`,
        );
        process.exitCode = allGood ? ExitCode.Ok : ExitCode.Failure;
      } finally {
        await session.close();
      }
    });
}
