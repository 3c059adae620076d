import { Command, CommanderError } from 'commander';
import { registerCodegenCommand } from './commands/codegen.js';
import { registerDbCommands } from './commands/db.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerDevCommand } from './commands/dev.js';
import { registerValidateCommand } from './commands/validate.js';
import { registerWorkerCommand } from './commands/worker.js';
import { exitCodeFor } from './errors.js';
import { ExitCode } from './exit-codes.js';

export const MAIN_HELP = `
Output: data goes to stdout, logs and progress to stderr; --json where offered gives machine output.
Colour follows the terminal; NO_COLOR=1 turns it off.

Environment:
  DATABASE_URL, TASKER_TEMPLATE_PATH and the TASKER_* worker settings (see \`tasker-bridge worker --help\`)
  TASKER_BRIDGE_CACHE_DIR     where the embedded development database lives
  TASKER_BRIDGE_PGMQ_SQL_DIR  pgmq to install instead of the pinned crate's (\`db up --help\`)
  NO_COLOR                    disable colour

Exit status:
  0   success
  1   failure (a task that did not complete, an invalid file, an unexpected error)
  2   usage error (unknown command or option, bad argument)
  69  unavailable (database cannot be started or reached)
  78  configuration error (invalid worker setting)`;

export function buildProgram(): Command {
  const program = new Command('tasker-bridge')
    .description('Run TypeScript step handlers in a tasker-core worker fleet')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError()
    .addHelpText('after', MAIN_HELP);
  registerWorkerCommand(program);
  registerDevCommand(program);
  registerDemoCommand(program);
  registerDbCommands(program);
  registerValidateCommand(program);
  registerCodegenCommand(program);
  // Every subcommand exits through main() instead of process.exit.
  for (const command of program.commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
  }
  return program;
}

/** Runs the CLI and returns its exit code; stdout carries data, stderr carries logs and errors. */
export async function main(argv: readonly string[]): Promise<number> {
  process.exitCode = undefined;
  try {
    await buildProgram().parseAsync(argv as string[]);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.Ok;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    const code = (error as { code?: unknown }).code;
    process.stderr.write(
      `tasker-bridge: ${(error as Error).message}${typeof code === 'string' ? ` [${code}]` : ''}\n`,
    );
    return exitCodeFor(error);
  }
}
