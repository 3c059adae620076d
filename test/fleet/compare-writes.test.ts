// Scenario 4: what our worker writes vs what upstream's Rust worker core writes for the same template on the same
// orchestration server, through both of its hosts: tasker-py (Python handlers over PyO3) and our native Rust
// worker (test/fleet/rust, Rust handlers on tasker-worker). Compared: step transitions and their metadata, the
// `results` documents, the audit rows, the task's transitions and the queue messages, by value with per-run
// values masked (support/compare.ts). Run one after the other on one database: first only our TS worker serves
// the namespaces, then only the Python worker (same callables through FLEET_HANDLER_ALIASES), then only the Rust
// worker (same callables).

import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CreateTaskRequest, SETTLED_TASK_STATES } from '@tasker-bridge/client';
import { exampleHandlers } from '@tasker-bridge/examples';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareTaskWrites, taskMessages } from './support/compare.js';
import { snapshotTask, type TaskSnapshot, withClient } from './support/db-inspect.js';
import { DIAMOND, exampleTemplates, LINEAR } from './support/examples.js';
import { decodeErrors, type Fleet, startFleet } from './support/fleet.js';
import { FLEET_TEMPLATES_DIR } from './support/paths.js';
import { startRustWorker } from './support/rust-worker.js';
import {
  flakyStep,
  PYTHON_EXAMPLE_ALIASES,
  PYTHON_FAILURE_ALIASES,
  permanentFailure,
} from './support/ts-handlers.js';
import { startTsWorker } from './support/ts-worker.js';

const CASES: Record<string, CreateTaskRequest> = {
  linear: { ...LINEAR, context: { even_number: 6 } },
  diamond: { ...DIAMOND, context: { even_number: 6 } },
  flaky: { namespace: 'fleet_shared', name: 'flaky', version: '1.0.0', context: { fail_times: 2 } },
  permanent: { namespace: 'fleet_shared', name: 'permanent', version: '1.0.0', context: {} },
};

/** A difference we know of, explained in test/fleet/NOTE.md ("What our worker writes vs upstream's core"). */
interface Explained {
  pattern: RegExp;
  why: string;
  /** The server does it only now and then (a race of its own), so a run without it proves nothing. */
  sometimes?: true;
}

/**
 * The server's, on either side: now and then it starts a new task twice (test/fleet/NOTE.md, F2), whichever worker
 * then runs the task's steps. The rest of the two sequences must be equal.
 */
const SERVER_DOUBLE_START: Explained = {
  pattern:
    /^task\.transitions: pending initializing(?: initializing)? ([a-z_ ]+) \| pending initializing(?: initializing)? \1$/,
  why: 'F2 the server writes initializing twice: sometimes, on either side',
  sometimes: true,
};

/**
 * Ours only: our claim metadata names the claiming worker and the step message holding its lease (worker README
 * "Leases"); extra keys, which orchestration never reads.
 */
const CLAIM_LEASE: Explained[] = [
  {
    pattern:
      /\(enqueued->in_progress\)\.metadata\.(lease: \{"queue":"worker_\w+_queue","msg_id":"\d+"\}|worker_uuid: "<uuid>") \| \(absent\)$/,
    why: 'D7 claim lease metadata: present | absent',
  },
];

/**
 * Differences from tasker-py. A difference line is `<where>: <ours> | <theirs>`; `<where>` covers both the
 * `results` document and its copy inside the completion transition's `event`. Anything not matched fails.
 */
const EXPLAINED_PYTHON: Explained[] = [
  {
    // Our results fill what upstream's Rust constructors leave optional; tasker-py's FFI conversion leaves null.
    pattern:
      /\.metadata\.(handler_version: "1\.0\.0"|started_at: "<timestamp>"|worker_id: "<string>") \| null$/,
    why: 'D1 handler_version, started_at, worker_id: filled | null',
  },
  {
    // Failures: filled as upstream's Rust `StepExecutionResult::failure()` fills them; tasker-py only fills
    // `error.error_type`.
    pattern: /\.metadata\.(error_code|error_type): "\w+" \| null$/,
    why: 'D2 failure error_code, error_type: filled | null',
  },
  {
    pattern: /\.result: \{\} \| null$/,
    why: 'D3 failure result: {} (Rust failure()) | null',
  },
  {
    // Orchestration parses `failed` (StepResultStatus); tasker-py's value is not one of its statuses.
    pattern: /\.status: "failed" \| "(retryable_error|permanent_error)"$/,
    why: 'D4 failure status: "failed" | the error type',
  },
  ...CLAIM_LEASE,
  SERVER_DOUBLE_START,
];

/** Differences from our native Rust worker (upstream's own Rust result constructors). */
const EXPLAINED_RUST: Explained[] = [
  {
    // The Rust constructors fill started_at too, like ours; handler_version and worker_id only we fill.
    pattern: /\.metadata\.(handler_version: "1\.0\.0"|worker_id: "<string>") \| null$/,
    why: 'R1 handler_version, worker_id: filled | null',
  },
  {
    // Ours is null unless the handler gives a hint (as tasker-py); `success()` / `failure()` write the default.
    pattern:
      /\.orchestration_metadata: null \| \{("(backoff_hint|error_context)":null,?|"(custom|headers)":\{\},?){4}\}$/,
    why: 'R2 orchestration_metadata: null | the default object',
  },
  {
    // Consequence of R2, written by orchestration: with orchestration_metadata present its BackoffCalculator
    // applies [common.backoff] to every result, successes included.
    pattern: /^step \w+\.backoff_request_seconds: null \| \d+$/,
    why: 'R3 backoff_request_seconds: null | [common.backoff]',
  },
  {
    // Consequence of R3 for a retried step: 1 s of [common.backoff] has not passed when orchestration evaluates
    // the task after the failure, so it waits for the step; the template's 200 ms has.
    pattern:
      /^task\.transitions: (?![^|]*waiting_for_dependencies)[a-z_ ]+ \| [a-z_ ]*evaluating_results waiting_for_dependencies evaluating_results[a-z_ ]*$/,
    why: 'R4 task waits for a retried step: no | yes',
  },
  ...CLAIM_LEASE,
  SERVER_DOUBLE_START,
];

interface Run {
  snapshot: TaskSnapshot;
  messages: Record<string, unknown>;
}

type Runs = Record<string, Run>;

describe("scenario 4: our writes vs upstream's worker core's for the same templates", () => {
  let fleet: Fleet;
  const ts: Runs = {};
  const py: Runs = {};
  const rs: Runs = {};

  async function runAll(into: Runs): Promise<void> {
    for (const [label, request] of Object.entries(CASES)) {
      const task = await fleet.api.createTask(request);
      await fleet.api.waitForTask(task.task_uuid, { timeoutMs: 60_000, until: SETTLED_TASK_STATES });
      into[label] = await withClient(fleet.db.url, async (client) => ({
        snapshot: await snapshotTask(client, task.task_uuid),
        messages: await taskMessages(client, request.namespace, task.task_uuid),
      }));
    }
  }

  beforeAll(async () => {
    fleet = await startFleet('compare');
    // The example workflows (@tasker-bridge/examples) plus our failure templates, in one directory.
    const templates = await exampleTemplates(join(fleet.logDir, 'templates'), [
      LINEAR.namespace,
      DIAMOND.namespace,
    ]);
    await cp(join(FLEET_TEMPLATES_DIR, 'shared'), join(templates, 'fleet_shared'), { recursive: true });
    const tsWorker = await startTsWorker(fleet, {
      templatePath: templates,
      handlers: [...exampleHandlers, flakyStep, permanentFailure],
    });
    await runAll(ts);
    await tsWorker.stop();
    const python = await fleet.startPythonWorker({
      templateDir: templates,
      aliases: { ...PYTHON_EXAMPLE_ALIASES, ...PYTHON_FAILURE_ALIASES },
    });
    await runAll(py);
    await python.stop();
    const rust = await startRustWorker(fleet, { templateDir: templates });
    await runAll(rs);
    await rust.stop();
    const differences = (theirs: Runs) =>
      Object.fromEntries(
        Object.keys(CASES).map((label) => [
          label,
          compareTaskWrites(ts[label]!.snapshot, theirs[label]!.snapshot).differences,
        ]),
      );
    await writeFile(
      join(fleet.logDir, 'writes.json'),
      JSON.stringify(
        { ts, py, rs, differences: { python: differences(py), rust: differences(rs) } },
        null,
        2,
      ),
    );
  });

  afterAll(async () => {
    await fleet?.stop();
  });

  const references: Array<[string, () => Runs, Explained[]]> = [
    ['tasker-py', () => py, EXPLAINED_PYTHON],
    ['the native Rust worker', () => rs, EXPLAINED_RUST],
  ];
  for (const [reference, theirs, explained] of references) {
    for (const label of Object.keys(CASES)) {
      it(`${label} vs ${reference}: same transitions, metadata, results, audit rows and task transitions`, () => {
        const { differences } = compareTaskWrites(ts[label]!.snapshot, theirs()[label]!.snapshot);
        const unexplained = differences.filter((d) => !explained.some(({ pattern }) => pattern.test(d)));
        expect(unexplained).toEqual([]);
      });

      it(`${label} vs ${reference}: same queue messages`, () => {
        expect(ts[label]!.messages).toEqual(theirs()[label]!.messages);
      });
    }

    it(`every difference explained for ${reference} occurs`, () => {
      // An allow-list entry nothing matches any more is stale: the difference is gone, so is its excuse.
      const all = Object.keys(CASES).flatMap(
        (label) => compareTaskWrites(ts[label]!.snapshot, theirs()[label]!.snapshot).differences,
      );
      const unused = explained
        .filter(({ pattern, sometimes }) => sometimes === undefined && !all.some((d) => pattern.test(d)))
        .map((e) => e.why);
      expect(unused).toEqual([]);
    });
  }

  it('leaves no decode error in the orchestration log', async () => {
    expect(decodeErrors(await fleet.server.process.log())).toEqual([]);
  });
});
