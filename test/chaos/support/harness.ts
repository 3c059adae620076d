import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { afterAll } from 'vitest';
import { eventually } from '../../support/eventually.js';
import type { OrchestratorKind } from './orchestration.js';

/**
 * Shared parts of the chaos suite (test/chaos): the scale, a seeded PRNG, real worker processes, the template,
 * the invariants checked with SQL at the end of every scenario, and the figures each scenario prints.
 */

// ---------------------------------------------------------------------------------------------------------
// Scale: CI-friendly by default, `CHAOS_SCALE=soak` for a long run, `CHAOS_SCALE=<factor>` (e.g. 2) for the
// default workload times that factor on the same fleet — how to check that a run's duration grows linearly.
// ---------------------------------------------------------------------------------------------------------

const CI_SCALE = {
  tasks: 60,
  kills: 12,
  workers: 2,
  restarts: 2,
  terminations: 3,
  badCopies: 2,
  sigtermTasks: 40,
  serverKills: 2,
};
const SOAK_SCALE = {
  tasks: 400,
  kills: 60,
  workers: 3,
  restarts: 8,
  terminations: 20,
  badCopies: 10,
  sigtermTasks: 200,
  serverKills: 8,
};

function chaosScale(setting: string | undefined): { scale: typeof CI_SCALE; timeoutMs: number } {
  if (setting === undefined || setting === '') return { scale: CI_SCALE, timeoutMs: 180_000 };
  if (setting === 'soak') return { scale: SOAK_SCALE, timeoutMs: 3_600_000 };
  const factor = Number(setting);
  if (!(factor > 0)) throw new Error(`CHAOS_SCALE must be "soak" or a positive factor, not "${setting}"`);
  const times = (n: number) => Math.max(1, Math.round(n * factor));
  return {
    scale: {
      ...CI_SCALE,
      tasks: times(CI_SCALE.tasks),
      kills: times(CI_SCALE.kills),
      restarts: times(CI_SCALE.restarts),
      terminations: times(CI_SCALE.terminations),
      badCopies: times(CI_SCALE.badCopies),
      sigtermTasks: times(CI_SCALE.sigtermTasks),
      serverKills: times(CI_SCALE.serverKills),
    },
    timeoutMs: Math.round(180_000 * Math.max(1, factor)),
  };
}

const chosen = chaosScale(process.env.CHAOS_SCALE);

export const SCALE = chosen.scale;

/** Per-scenario time limit: CI size fits well under 3 minutes; larger scales get proportionally longer. */
export const TEST_TIMEOUT = chosen.timeoutMs;

/** Visibility timeout (= lease) used by every chaos worker: short, so recovery is fast. */
export const VT_SECONDS = 2;

// ---------------------------------------------------------------------------------------------------------
// Seeded PRNG (mulberry32): the seed is printed, `CHAOS_SEED=<n>` replays the same kill schedule.
// ---------------------------------------------------------------------------------------------------------

export function seededRandom(label: string): {
  seed: number;
  next: () => number;
  between: (a: number, b: number) => number;
} {
  const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
  console.log(`[chaos] ${label}: seed ${seed} (replay with CHAOS_SEED=${seed})`);
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { seed, next, between: (lo, hi) => lo + next() * (hi - lo) };
}

// ---------------------------------------------------------------------------------------------------------
// The workload: a diamond of four steps (a → b, c → d), every step a short random-delay handler, generous
// max_attempts so that repeated kills of the same step still end in `complete`.
// ---------------------------------------------------------------------------------------------------------

export const CHAOS_NS = 'chaos';
export const CHAOS_QUEUE = `worker_${CHAOS_NS}_queue`;

export function chaosTemplate(namespace = CHAOS_NS) {
  const step = (name: string, deps: string[]) => ({
    name,
    handler: { callable: 'chaos.work' },
    depends_on: deps,
    retry: {
      retryable: true,
      max_attempts: 25,
      backoff: 'exponential' as const,
      backoff_base_ms: 100,
      max_backoff_ms: 500,
    },
  });
  return {
    name: 'diamond',
    namespace_name: namespace,
    version: '1.0.0',
    steps: [step('a', []), step('b', ['a']), step('c', ['a']), step('d', ['b', 'c'])],
  };
}

/** DevOrchestrator backoff for chaos runs: retries as soon as orchestration has processed the failure. */
export const FAST_BACKOFF = { baseDelaySeconds: 0, maxDelaySeconds: 1, jitterEnabled: false };

// ---------------------------------------------------------------------------------------------------------
// Worker processes
// ---------------------------------------------------------------------------------------------------------

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'worker-child.mjs');

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  workerUuid: string;
  /** Log lines (pino JSON) the process printed. */
  logs: Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface WorkerInput {
  databaseUrl: string;
  /** The pgmq database, when split from the tasker one. */
  pgmqDatabaseUrl?: string;
  concurrency?: number;
  minMs?: number;
  maxMs?: number;
  graceMs?: number;
  applicationName?: string;
}

/**
 * How a worker process is started, as data (orphans.test.ts starts one exactly so from a parent it then kills).
 * stdin is a pipe the parent never writes to: its only job is to reach end-of-file when the parent is gone,
 * however it went (the OS closes it even after SIGKILL), which is the worker child's cue to exit.
 */
export interface WorkerCommand {
  command: string;
  args: string[];
  /** Added to the parent's environment. */
  env: Record<string, string>;
  stdio: ['pipe', 'pipe', 'pipe'];
}

export function workerCommand(input: WorkerInput): WorkerCommand {
  return {
    command: process.execPath,
    args: [CHILD],
    env: {
      CHAOS_DB_URL: input.databaseUrl,
      ...(input.pgmqDatabaseUrl === undefined ? {} : { CHAOS_PGMQ_DB_URL: input.pgmqDatabaseUrl }),
      CHAOS_TEMPLATES: JSON.stringify([chaosTemplate()]),
      CHAOS_CONCURRENCY: String(input.concurrency ?? 8),
      CHAOS_MIN_MS: String(input.minMs ?? 20),
      CHAOS_MAX_MS: String(input.maxMs ?? 250),
      CHAOS_GRACE_MS: String(input.graceMs ?? 1000),
      CHAOS_VT: String(VT_SECONDS),
      CHAOS_POLL_MS: '100',
      CHAOS_APP_NAME: input.applicationName ?? 'chaos-worker',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  };
}

/** Every worker process this test file started that has not exited yet. */
const liveChildren = new Set<ChildProcess>();

/** SIGKILLs every worker process still running and waits for them to exit. */
export async function killWorkers(): Promise<void> {
  await Promise.all(
    [...liveChildren].map((child) => {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      return exited;
    }),
  );
}

// Whatever a test file's own hooks do or fail to do, none of its workers outlives it: killed after its last
// hook, and on exit of the test process (the `exit` event can only act synchronously: a kill, no waiting). A test
// process that dies without running either is covered by the children's stdin (WorkerCommand).
afterAll(killWorkers);
process.on('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

export async function spawnWorker(input: WorkerInput): Promise<WorkerProcess> {
  const command = workerCommand(input);
  const child = spawn(command.command, command.args, {
    stdio: command.stdio,
    env: { ...process.env, ...command.env },
  });
  liveChildren.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      liveChildren.delete(child);
      resolve({ code, signal });
    }),
  );
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  const workerUuid = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`worker did not start within 30 s: ${stderr}`));
    }, 30_000);
    child.stdout?.on('data', (c: Buffer) => {
      buffer += c.toString('utf8');
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const ready = /^CHAOS_READY (\S+)$/.exec(line);
        if (ready) {
          clearTimeout(timer);
          resolve(ready[1] as string);
        } else if (line.startsWith('{')) {
          try {
            logs.push(JSON.parse(line) as Record<string, unknown>);
          } catch {
            // partial or foreign line: ignore
          }
        }
        nl = buffer.indexOf('\n');
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`worker exited before ready (code ${code}, signal ${signal}): ${stderr}`));
    });
  });
  return { child, pid: child.pid as number, workerUuid, logs, exited };
}

// ---------------------------------------------------------------------------------------------------------
// Waiting without fixed sleeps
// ---------------------------------------------------------------------------------------------------------

/** `eventually` with the chaos suite's longer default deadline (recoveries take a visibility timeout or more). */
export function until<T>(
  probe: () => Promise<T | null | undefined | false>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  return eventually(probe, { timeoutMs: 30_000, ...options });
}

// ---------------------------------------------------------------------------------------------------------
// Invariants, checked with SQL over every step of the given tasks
// ---------------------------------------------------------------------------------------------------------

export interface StepHistory {
  step_uuid: string;
  task_uuid: string;
  attempts: number | null;
  max_attempts: number | null;
  in_process: boolean;
  processed: boolean;
  states: string[];
  froms: (string | null)[];
  sort_keys: number[];
  most_recent: number;
  /** `metadata.worker_uuid` of each transition (null where orchestration wrote it). */
  workers: (string | null)[];
  /** error_type of each worker-written failure transition, in order. */
  error_types: (string | null)[];
}

export async function stepHistories(pool: pg.Pool, taskUuids: readonly string[]): Promise<StepHistory[]> {
  const { rows } = await pool.query<StepHistory>(
    `SELECT ws.workflow_step_uuid::text AS step_uuid, ws.task_uuid::text AS task_uuid, ws.attempts, ws.max_attempts,
            ws.in_process, ws.processed,
            array_agg(t.to_state ORDER BY t.sort_key) AS states,
            array_agg(t.from_state ORDER BY t.sort_key) AS froms,
            array_agg(t.sort_key ORDER BY t.sort_key) AS sort_keys,
            count(*) FILTER (WHERE t.most_recent)::int AS most_recent,
            array_agg(t.metadata->>'worker_uuid' ORDER BY t.sort_key) AS workers,
            array_agg(CASE WHEN t.to_state = 'enqueued_as_error_for_orchestration'
                           THEN ((t.metadata->>'event')::jsonb)->'data'->'metadata'->>'error_type' END
                      ORDER BY t.sort_key) AS error_types
       FROM tasker.workflow_steps ws
       JOIN tasker.workflow_step_transitions t ON t.workflow_step_uuid = ws.workflow_step_uuid
      WHERE ws.task_uuid = ANY($1::uuid[])
      GROUP BY ws.workflow_step_uuid`,
    [taskUuids],
  );
  return rows;
}

export interface InvariantReport {
  steps: number;
  /** Steps not in their expected final state. */
  lost: number;
  /** Steps whose success was committed more than once, or with more than one `complete`. */
  duplicated: number;
  /** Broken transition chains: sort_keys not 1..n, several most_recent, from_state ≠ previous to_state. */
  brokenChains: number;
  /**
   * Steps orchestration enqueued twice (`pending → enqueued` written again over `enqueued`): tasker-server's own
   * race (test/fleet/NOTE.md). Not a broken chain under tasker-server, one under the dev orchestrator.
   */
  repeatedEnqueues: number;
  /** attempts ≠ number of claims, or attempts > max_attempts. */
  badAttempts: number;
  /** Claims that did not end in a success (re-executions caused by the chaos). */
  reexecutions: number;
  errorTypes: Record<string, number>;
  violations: string[];
}

/**
 * Checks every step against its expected final state (`complete` unless `expected` says). The rules depend on who
 * orchestrated: tasker-server's repeated enqueue of a step is its own race (`repeatedEnqueues`), which the dev
 * orchestrator must never show.
 */
export function checkInvariants(
  histories: readonly StepHistory[],
  {
    orchestrator,
    expected = () => 'complete',
  }: { orchestrator: OrchestratorKind; expected?: (h: StepHistory) => string },
): InvariantReport {
  const server = orchestrator === 'tasker-server';
  const report: InvariantReport = {
    steps: histories.length,
    lost: 0,
    duplicated: 0,
    brokenChains: 0,
    repeatedEnqueues: 0,
    badAttempts: 0,
    reexecutions: 0,
    errorTypes: {},
    violations: [],
  };
  for (const h of histories) {
    const n = h.states.length;
    const count = (s: string) => h.states.filter((x) => x === s).length;
    const want = expected(h);
    if (h.states[n - 1] !== want || h.in_process) {
      report.lost += 1;
      report.violations.push(
        `${h.step_uuid}: ends ${h.states[n - 1]} (in_process ${h.in_process}), expected ${want}`,
      );
    }
    if (count('enqueued_for_orchestration') > 1 || count('complete') > 1) {
      report.duplicated += 1;
      report.violations.push(`${h.step_uuid}: success committed twice: ${h.states.join(' → ')}`);
    }
    const keysOk = h.sort_keys.every((k, i) => k === i + 1);
    // tasker-server's task initializer and step enqueuer can both enqueue a new task's first steps: each reads
    // `pending` and writes `enqueued` (no compare-and-set on the from-state); one message is sent.
    const repeatedEnqueue = (i: number) =>
      h.states[i] === 'enqueued' &&
      h.froms[i] === 'pending' &&
      h.states[i - 1] === 'enqueued' &&
      !h.workers[i];
    if (h.states.some((_, i) => i > 0 && repeatedEnqueue(i))) report.repeatedEnqueues += 1;
    const chainOk = h.froms.every(
      (f, i) => i === 0 || f === h.states[i - 1] || (server && repeatedEnqueue(i)),
    );
    if (!keysOk || !chainOk || h.most_recent !== 1) {
      report.brokenChains += 1;
      report.violations.push(`${h.step_uuid}: broken chain ${h.sort_keys.join(',')} ${h.states.join(' → ')}`);
    }
    const claims = count('in_progress');
    if ((h.attempts ?? 0) !== claims || (h.attempts ?? 0) > (h.max_attempts ?? 0)) {
      report.badAttempts += 1;
      report.violations.push(
        `${h.step_uuid}: attempts ${h.attempts} vs ${claims} claims (max ${h.max_attempts})`,
      );
    }
    report.reexecutions += Math.max(0, claims - 1);
    for (const e of h.error_types) if (e !== null) report.errorTypes[e] = (report.errorTypes[e] ?? 0) + 1;
  }
  return report;
}

/** The invariant counts every scenario prints with its own figures. */
export function invariantFigures(report: InvariantReport): Record<string, unknown> {
  return {
    error_types: report.errorTypes,
    lost: report.lost,
    duplicated: report.duplicated,
    broken_chains: report.brokenChains,
    repeated_enqueues: report.repeatedEnqueues,
    bad_attempts: report.badAttempts,
  };
}

/** Live (unarchived) messages of a queue. */
export async function liveMessages(pool: pg.Pool, queue: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM pgmq.q_${queue}`);
  return rows[0]?.n ?? 0;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** One line per scenario, easy to grep from CI logs: `[chaos] figures <scenario> {json}`. */
export function printFigures(scenario: string, figures: Record<string, unknown>): void {
  console.log(`[chaos] figures ${scenario} ${JSON.stringify(figures)}`);
}
