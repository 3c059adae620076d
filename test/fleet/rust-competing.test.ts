// Scenario 6: our TS worker and our native Rust worker (upstream's tasker-worker core with Rust twins of our
// handlers, test/fleet/rust) serving the same namespaces under upstream's real orchestration server: the
// examples' linear and diamond workflows, and the big-number workflow (templates/interop/big_numbers.yaml) whose
// steps fail permanently unless every 64-bit integer they read arrived exactly. Every task completes with the
// expected values, steps are claimed as competing consumers allow, both workers run steps, and each language's
// dependents read what the other language wrote.

import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SETTLED_TASK_STATES } from '@tasker-bridge/client';
import { exampleHandlers } from '@tasker-bridge/examples';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completedBy, expectCompetingClaimShape } from './support/claim-shapes.js';
import { snapshotTask, type TaskSnapshot, withClient } from './support/db-inspect.js';
import { DIAMOND, exampleTemplates, expectedExampleResults, LINEAR } from './support/examples.js';
import { decodeErrors, type Fleet, startFleet, submitAll } from './support/fleet.js';
import { deriveStep, extremesStep, verifyStep } from './support/interop-handlers.js';
import { FLEET_TEMPLATES_DIR } from './support/paths.js';
import { type RustWorker, startRustWorker } from './support/rust-worker.js';
import { startTsWorker } from './support/ts-worker.js';

const BIG = { namespace: 'fleet_interop', name: 'big_numbers', version: '1.0.0' };
type Kind = 'linear' | 'diamond' | 'big';

/** Each template's dependency edges, parent → child. */
const EDGES: Record<Kind, Array<[string, string]>> = {
  linear: [
    ['linear_step_1', 'linear_step_2'],
    ['linear_step_2', 'linear_step_3'],
    ['linear_step_3', 'linear_step_4'],
  ],
  diamond: [
    ['diamond_start_ts', 'diamond_branch_b_ts'],
    ['diamond_start_ts', 'diamond_branch_c_ts'],
    ['diamond_branch_b_ts', 'diamond_end_ts'],
    ['diamond_branch_c_ts', 'diamond_end_ts'],
  ],
  big: [
    ['extremes', 'derive'],
    ['extremes', 'verify'],
    ['derive', 'verify'],
  ],
};

/** The big-number workflow's `result` documents as JSON text, compared with jsonb equality (exact numerics). */
const NESTED =
  '{"list": [18446744073709551615, -9223372036854775808, 9007199254740993, -9007199254740993],' +
  ' "deep": {"u64_max_minus_one": 18446744073709551614, "small": 7}}';
const BIG_RESULTS: Record<string, string> = {
  extremes:
    '{"u64_max": 18446744073709551615, "i64_min": -9223372036854775808, "i64_max": 9223372036854775807,' +
    ` "beyond_double": 9007199254740993, "nested": ${NESTED}}`,
  derive: `{"u64_max_minus_one": 18446744073709551614, "i64_min_plus_one": -9223372036854775807, "echo": ${NESTED}}`,
  verify:
    '{"verified": true, "u64_max_minus_one": 18446744073709551614, "i64_min_plus_one": -9223372036854775807,' +
    ` "nested": ${NESTED}}`,
};

const EVEN_NUMBERS = [2, 4, 6, 8, 10, 12];
/** Big-number tasks per round; rounds of each kind go on until reads in both directions were seen (or MAX_ROUNDS). */
const BIG_ROUND = 6;
const MAX_ROUNDS = 5;

interface Run {
  kind: Kind;
  n: number;
  snapshot: TaskSnapshot;
}

describe('scenario 6: TS and native Rust workers competing for one namespace', () => {
  let fleet: Fleet;
  let rust: RustWorker;
  let tsWorkerUuid: string;
  const runs: Run[] = [];

  const language = (workerUuid: string) => (workerUuid === tsWorkerUuid ? 'ts' : 'rust');

  /** `parent-language→child-language` for every edge whose two steps ran once (one writer, one reader). */
  function crossReads(kinds: readonly Kind[]): Map<string, number> {
    const counts = new Map<string, number>();
    for (const { kind, snapshot } of runs.filter((r) => kinds.includes(r.kind))) {
      const byName = new Map(snapshot.steps.map((s) => [s.name, s]));
      for (const [parent, child] of EDGES[kind]) {
        const p = byName.get(parent);
        const c = byName.get(child);
        if (p?.attempts !== 1 || c?.attempts !== 1) continue;
        const key = `${language(completedBy(p))}→${language(completedBy(c))}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    return counts;
  }

  async function runTasks(submissions: Array<{ kind: Kind; n: number; request: typeof LINEAR }>) {
    const created = await submitAll(fleet, submissions);
    for (const c of created) {
      const final = await fleet.api.waitForTask(c.task.task_uuid, {
        timeoutMs: 90_000,
        until: SETTLED_TASK_STATES,
      });
      expect(final.status, `task ${c.kind}(${c.n})`).toBe('complete');
    }
    await withClient(fleet.db.url, async (client) => {
      // One query at a time on one client.
      for (const c of created) {
        runs.push({ kind: c.kind, n: c.n, snapshot: await snapshotTask(client, c.task.task_uuid) });
      }
    });
  }

  beforeAll(async () => {
    fleet = await startFleet('rust-competing');
    const templates = await exampleTemplates(join(fleet.logDir, 'templates'), [
      LINEAR.namespace,
      DIAMOND.namespace,
    ]);
    await mkdir(join(templates, BIG.namespace), { recursive: true });
    await cp(
      join(FLEET_TEMPLATES_DIR, 'interop', 'big_numbers.yaml'),
      join(templates, BIG.namespace, 'big_numbers.yaml'),
    );
    const tsWorker = await startTsWorker(fleet, {
      templatePath: templates,
      handlers: [...exampleHandlers, extremesStep, deriveStep, verifyStep],
      concurrency: 2,
      // Our worker claims a notified step in a millisecond or two, the Rust worker in several: on notifications
      // ours would take nearly every step, and a Rust step would rarely read a TS result. Polling every 10 ms
      // makes each step a fair race.
      pollOnlyEveryMs: 10,
    });
    tsWorkerUuid = tsWorker.workerUuid;
    rust = await startRustWorker(fleet, { templateDir: templates });

    // Which worker claims a step is a race, and a loaded machine can tilt it: submit rounds of tasks until a TS
    // step has read a Rust step's result and a Rust step a TS step's (or MAX_ROUNDS).
    for (let round = 0; round < MAX_ROUNDS; round++) {
      await runTasks(
        // Other numbers each round: a task's identity is its template and context.
        EVEN_NUMBERS.map((n) => n + round * 2 * EVEN_NUMBERS.length).flatMap((n) => [
          { kind: 'linear' as const, n, request: LINEAR },
          { kind: 'diamond' as const, n, request: DIAMOND },
        ]),
      );
      const reads = crossReads(['linear', 'diamond']);
      if ((reads.get('rust→ts') ?? 0) > 0 && (reads.get('ts→rust') ?? 0) > 0) break;
    }
    for (let round = 0; round < MAX_ROUNDS; round++) {
      await runTasks(
        Array.from({ length: BIG_ROUND }, (_, i) => ({
          kind: 'big' as const,
          n: round * BIG_ROUND + i,
          request: BIG,
        })),
      );
      const reads = crossReads(['big']);
      if ((reads.get('rust→ts') ?? 0) > 0 && (reads.get('ts→rust') ?? 0) > 0) break;
    }
    await writeFile(join(fleet.logDir, 'snapshots.json'), JSON.stringify({ tsWorkerUuid, runs }, null, 2));
  });

  afterAll(async () => {
    await fleet?.stop();
  });

  it('completes every example step once, with the value its formula gives', () => {
    for (const { kind, n, snapshot } of runs.filter((r) => r.kind !== 'big')) {
      const expected = expectedExampleResults(kind as 'linear' | 'diamond', n);
      expect(snapshot.steps.map((s) => s.name).sort()).toEqual(Object.keys(expected).sort());
      for (const step of snapshot.steps) {
        expect((step.results as { result: unknown }).result, `${kind}(${n}) ${step.name}`).toMatchObject(
          expected[step.name]!,
        );
      }
    }
  });

  it('stores every big-number result exactly, integers as JSON integers, whichever language wrote it', async () => {
    const big = runs.filter((r) => r.kind === 'big');
    expect(big.length).toBeGreaterThanOrEqual(BIG_ROUND);
    await withClient(fleet.db.url, async (client) => {
      for (const { n, snapshot } of big) {
        for (const step of snapshot.steps) {
          const { rows } = await client.query(
            `SELECT results->'result' = $2::jsonb AS exact, results->'result' AS result
               FROM tasker.workflow_steps WHERE workflow_step_uuid = $1`,
            [step.workflow_step_uuid, BIG_RESULTS[step.name]],
          );
          expect(rows[0]?.exact, `big(${n}) ${step.name}: ${JSON.stringify(rows[0]?.result)}`).toBe(true);
        }
      }
    });
  });

  it("claims each step once, except when upstream's Rust core overrides our claim", async () => {
    const anomalies: string[] = [];
    for (const { kind, n, snapshot } of runs) {
      for (const step of snapshot.steps) {
        const anomaly = expectCompetingClaimShape(step, `${kind}(${n}).${step.name}`, tsWorkerUuid);
        if (anomaly) anomalies.push(anomaly);
      }
      // The audit trigger writes one row per enqueued_for_orchestration transition.
      const completions = snapshot.steps.flatMap((s) =>
        s.transitions.filter((t) => t.to_state === 'enqueued_for_orchestration'),
      );
      expect(snapshot.audits).toHaveLength(completions.length);
    }
    const total = runs.reduce((sum, r) => sum + r.snapshot.steps.length, 0);
    await writeFile(
      join(fleet.logDir, 'double-claims.txt'),
      `${anomalies.length}/${total}\n${anomalies.join('\n')}\n`,
    );
  });

  it('shares the steps between both workers, and nothing else completes them', () => {
    const workers = new Set(runs.flatMap((r) => r.snapshot.steps.map(completedBy)));
    expect(workers.has('(none)')).toBe(false);
    expect(workers.has(tsWorkerUuid)).toBe(true);
    expect([...workers].filter((w) => w !== tsWorkerUuid)).toHaveLength(1); // the Rust worker's core
  });

  it("has each language's dependents read the other language's results", () => {
    for (const kinds of [['linear', 'diamond'], ['big']] as const) {
      const reads = crossReads(kinds);
      expect(reads.get('rust→ts') ?? 0, `${kinds.join('+')}: ${JSON.stringify([...reads])}`).toBeGreaterThan(
        0,
      );
      expect(reads.get('ts→rust') ?? 0, `${kinds.join('+')}: ${JSON.stringify([...reads])}`).toBeGreaterThan(
        0,
      );
    }
  });

  it('leaves no decode error in the orchestration or Rust worker log', async () => {
    expect(decodeErrors(await fleet.server.process.log())).toEqual([]);
    expect(decodeErrors(await rust.process.log())).toEqual([]);
  });
});
