import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { decodeTemplate } from '@tasker-bridge/worker';
import { findTemplateFiles } from '@tasker-bridge/worker/internal';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { loadCodegen } from '../dev-packages.js';
import { UsageError } from '../errors.js';

interface CodegenOptions {
  out?: string;
  outDir?: string;
  schemas?: boolean;
}

/** Template files named on the command line: files as given, directories searched for `*.yml`/`*.yaml`. */
async function templateFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(path)).isDirectory();
    } catch (cause) {
      throw new UsageError(`cannot read ${path}: ${(cause as Error).message}`, { cause });
    }
    files.push(...(isDirectory ? await findTemplateFiles(path) : [path]));
  }
  return files;
}

export function registerCodegenCommand(program: Command): void {
  program
    .command('codegen')
    .description(
      "generate TypeScript handler types from templates' input_schema, result_schema and depends_on",
    )
    .argument('<templates...>', 'task template files (YAML or JSON) or directories of them')
    .option('-o, --out <file>', 'write to this file instead of stdout (one template)')
    .option('--out-dir <dir>', 'write one file per template, <dir>/<namespace>/<name>.ts')
    .option('--schemas', 'also emit Standard Schemas from the same JSON Schemas, checked at run time')
    .addHelpText(
      'after',
      `
Per template: <Name>Input (input_schema), <Step>Result (each result_schema), <Name>StepResults,
<Name>StepDeps (each step's parents, so deps.<parent> is typed), <Name>HandlerArgs<'step'>, the step
table <name>Steps and define<Name>Handler('step', name, fn). With --schemas the step table also carries
the schemas, so the handlers check input, dependency values and results at run time.
Exit status: 0 on success, 1 when a template is invalid, 2 for bad arguments.`,
    )
    .action(async (paths: string[], options: CodegenOptions) => {
      if (options.out !== undefined && options.outDir !== undefined)
        throw new UsageError('give --out or --out-dir, not both');
      const files = await templateFiles(paths);
      if (files.length === 0) throw new UsageError(`no template files in ${paths.join(', ')}`);
      if (files.length > 1 && options.outDir === undefined)
        throw new UsageError(`${files.length} templates: give --out-dir to write one file each`);
      const { generateHandlerTypes } = await loadCodegen('tasker-bridge codegen');
      for (const file of files) {
        const template = decodeTemplate(parseYaml(await readFile(file, 'utf8')));
        const source = await generateHandlerTypes(template, { schemas: options.schemas === true });
        const out =
          options.outDir !== undefined
            ? join(options.outDir, template.namespace_name, `${template.name}.ts`)
            : options.out;
        if (out === undefined) {
          process.stdout.write(source);
          continue;
        }
        await mkdir(dirname(out), { recursive: true });
        await writeFile(out, source);
        process.stderr.write(`wrote ${out}\n`);
      }
    });
}
