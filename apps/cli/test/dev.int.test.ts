import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/db.js';
import { runCli } from './support.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describe('tasker-bridge dev', () => {
  it('runs the linear example: progress per step on stderr, results on stdout, exit 0', async () => {
    const { code, stdout, stderr } = await runCli(
      'dev',
      'linear_workflow_ts/mathematical_sequence_ts',
      '--context',
      '{"even_number": 6}',
      '--database-url',
      db.url,
    );
    expect(code).toBe(0);
    expect(stderr).toContain('linear_step_1 → in_progress (attempt 1)');
    expect(stderr).toContain('linear_step_4 → complete');
    expect(stdout).toContain('complete');
    expect(stdout).toContain('"final_value":69');
    expect(stdout).toContain('pending → enqueued → in_progress → enqueued_for_orchestration → complete');
  });

  it('--json prints the final task as JSON with every step', async () => {
    const { code, stdout } = await runCli(
      'dev',
      'diamond_workflow_ts/parallel_computation_ts',
      '-c',
      '{"even_number": 6}',
      '--json',
      '--database-url',
      db.url,
    );
    expect(code).toBe(0);
    const task = JSON.parse(stdout);
    expect(task.state).toBe('complete');
    expect(task.steps.find((s: { name: string }) => s.name === 'diamond_end_ts').result.final_value).toBe(
      66.5,
    );
  });

  it('a task that does not complete exits 1', async () => {
    const { code, stdout } = await runCli(
      'dev',
      'test_scenarios_ts/permanent_error_only_ts',
      '--json',
      '--database-url',
      db.url,
    );
    expect(code).toBe(1);
    expect(JSON.parse(stdout).state).toBe('blocked_by_failures');
  });
});
