import { Command, CommanderError } from 'commander';
import { registerDbCommands } from './commands/db.js';
import { registerDemoCommand } from './commands/demo.js';
import { ExitCode } from './exit-codes.js';

export function buildProgram(): Command {
  const program = new Command('tasker-bridge')
    .description('Run TypeScript step handlers in a tasker-core worker fleet')
    .exitOverride()
    .showHelpAfterError();
  registerDbCommands(program);
  registerDemoCommand(program);
  return program;
}

/** Runs the CLI and returns its exit code; stdout carries data, stderr carries logs and errors. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv as string[]);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.Ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    const code = (error as { code?: unknown }).code;
    process.stderr.write(
      `tasker-bridge: ${(error as Error).message}${typeof code === 'string' ? ` [${code}]` : ''}\n`,
    );
    return ExitCode.Failure;
  }
}
