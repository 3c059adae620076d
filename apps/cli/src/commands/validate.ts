import { readFile } from 'node:fs/promises';
import { isWireTypeName, validate, WIRE_TYPE_NAMES } from '@tasker-bridge/schemas';
import { decodeTemplate } from '@tasker-bridge/worker';
import { findTemplateFiles } from '@tasker-bridge/worker/internal';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { createStyle, useColor } from '../style.js';

export interface FileReport {
  file: string;
  type: string;
  ok: boolean;
  problems: string[];
}

/** Checks one document: a task template (serde's rules plus tasker's registration checks) or a wire message. */
export function checkDocument(value: unknown, type: string): string[] {
  let document = value;
  if (type === 'TaskTemplate') {
    // YAML templates omit what serde defaults; check the decoded form, as tasker stores it.
    try {
      document = decodeTemplate(value);
    } catch (error) {
      return [(error as Error).message];
    }
  }
  if (!isWireTypeName(type)) return [`unknown type '${type}'`];
  const checked = validate(type, document);
  return checked.ok ? [] : checked.issues.map((i) => `${i.path === '' ? '(root)' : i.path}: ${i.message}`);
}

export async function validateFiles(
  paths: readonly string[],
  type: string | undefined,
): Promise<FileReport[]> {
  const files: string[] = [];
  for (const path of paths) {
    try {
      files.push(...(await findTemplateFiles(path)));
    } catch {
      files.push(path);
    }
  }
  const reports: FileReport[] = [];
  for (const file of files) {
    const kind = type ?? 'TaskTemplate';
    let value: unknown;
    try {
      const text = await readFile(file, 'utf8');
      value = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
    } catch (error) {
      reports.push({
        file,
        type: kind,
        ok: false,
        problems: [`cannot read or parse: ${(error as Error).message}`],
      });
      continue;
    }
    const problems = checkDocument(value, kind);
    reports.push({ file, type: kind, ok: problems.length === 0, problems });
  }
  return reports;
}

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('check task templates (YAML/JSON) and wire messages (JSON) against the schemas')
    .argument('<paths...>', 'files, or directories searched for *.yml/*.yaml templates')
    .option(
      '-t, --type <WireType>',
      `what the files hold (default TaskTemplate): ${WIRE_TYPE_NAMES.join(', ')}`,
    )
    .option('--json', 'print the reports as JSON on stdout')
    .addHelpText(
      'after',
      `
Templates are decoded with Rust's serde rules (defaults filled, unknown enum values and wrong types rejected)
and checked as tasker registers them (names, namespace, dependencies on existing steps).
Exit status: 0 when every file is valid, 1 when any is not, 2 for bad arguments.`,
    )
    .action(async (paths: string[], options: { type?: string; json?: boolean }) => {
      if (options.type !== undefined && !isWireTypeName(options.type))
        throw new UsageError(
          `--type: unknown wire type '${options.type}' (one of ${WIRE_TYPE_NAMES.join(', ')})`,
        );
      const reports = await validateFiles(paths, options.type);
      if (reports.length === 0) throw new UsageError(`no template files found in ${paths.join(', ')}`);
      if (options.json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
      else {
        const style = createStyle(useColor(process.stdout));
        for (const r of reports) {
          process.stdout.write(
            `${r.ok ? style.green('ok     ') : style.red('invalid')} ${r.file} (${r.type})\n`,
          );
          for (const p of r.problems) process.stdout.write(`        ${p}\n`);
        }
      }
      process.exitCode = reports.every((r) => r.ok) ? ExitCode.Ok : ExitCode.Failure;
    });
}
