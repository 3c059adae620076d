import { readFile, writeFile } from 'node:fs/promises';
import { decodeTemplate } from '@tasker-bridge/worker';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { loadCodegen } from '../dev-packages.js';
import { UsageError } from '../errors.js';

export function registerCodegenCommand(program: Command): void {
  program
    .command('codegen')
    .description("generate TypeScript handler types from a template's input_schema and result_schema")
    .argument('<template>', 'task template file (YAML or JSON)')
    .option('-o, --out <file>', 'write to this file instead of stdout')
    .addHelpText(
      'after',
      `
Emits <Name>Input (from input_schema), <Step>Result for each step with a result_schema, and
<Name>StepResults; use them as defineHandler<Input, Deps, Result>(…).
Exit status: 0 on success, 1 when the template is invalid, 2 for bad arguments.`,
    )
    .action(async (file: string, options: { out?: string }) => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (cause) {
        throw new UsageError(`cannot read ${file}: ${(cause as Error).message}`, { cause });
      }
      const template = decodeTemplate(parseYaml(text));
      const { generateHandlerTypes } = await loadCodegen('tasker-bridge codegen');
      const source = await generateHandlerTypes(template);
      if (options.out === undefined) process.stdout.write(source);
      else {
        await writeFile(options.out, source);
        process.stderr.write(`wrote ${options.out}\n`);
      }
    });
}
