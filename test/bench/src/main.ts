// `npm run bench`: our worker vs upstream's native Rust worker vs tasker-py vs the PostgreSQL floor vs
// graphile-worker and pg-boss, on this machine, in one run. See the root README's "Performance" section for the
// method. Exit code 1, and nothing printed as figures or recorded, when any measured run fails its checks.

import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { devDbCacheDir, stopDevCluster } from '@tasker-bridge/devdb';
import type pg from 'pg';
import type { LoggedProcess } from '../../fleet/support/processes.js';
import { spawnLogged, waitUntil } from '../../fleet/support/processes.js';
import { BenchRunFailed, checkRun, failedChecks, type RunContext } from './checks.js';
import { type Competitors, ensureCompetitors, runCompetitor } from './competitors.js';
import {
  contenderLabel,
  isJobContender,
  type JobContender,
  processesOf,
  roundOrder,
  type StepContender,
} from './contenders.js';
import {
  type BenchDb,
  ensureRegistration,
  feedBatch,
  feedNotify,
  handlerStarts,
  nowMs,
  openBenchCluster,
  ResultWatcher,
  seedSteps,
  sendOne,
  sleep,
  stepMessages,
  taskerPool,
} from './db.js';
import { appendHistory, describeMachine, entryId, HISTORY_FILE } from './history.js';
import { measureNoise, type NoiseSample } from './noise.js';
import { parseBenchOptions, stepsFor } from './options.js';
import { benchCacheDir, REPO_ROOT } from './paths.js';
import { buildReport, type HeapAtPeak, type Measurement } from './report.js';
import { fmt, machineCpu, percentile, procStats } from './stats.js';
import {
  ensureRustWorker,
  ensureTaskerPy,
  startNativeRustWorker,
  startTaskerPy,
} from './upstream-workers.js';

const options = (() => {
  try {
    return parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    process.exit(2);
  }
})();
const BUILD_DIR = process.env.BENCH_BUILD_DIR as string;
const startedAt = new Date();
const LOG_DIR = join(REPO_ROOT, 'test-results', 'bench', startedAt.toISOString().replace(/[:.]/g, '-'));
const STALL_MS = 60_000;

/** What the contenders need from outside the repository, fetched or built once before the first round. */
interface Programs {
  python?: string;
  rustBinary?: string;
  competitors?: Competitors;
}

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** `ours-flood`: this many `/health/ready` requests right after the feed, so many at a time (README "Performance"). */
const HEALTH_FLOOD_REQUESTS = 1_000;
const FLOOD_IN_FLIGHT = 100;

async function startContender(
  name: StepContender,
  url: string,
  concurrency: number,
  programs: Programs,
): Promise<{ procs: LoggedProcess[]; go?: () => void; healthPort?: number }> {
  const upstream = { databaseUrl: url, concurrency, logDir: LOG_DIR };
  if (name === 'rust') {
    return { procs: [await startNativeRustWorker({ ...upstream, binary: programs.rustBinary as string })] };
  }
  if (name === 'tasker-py') {
    return { procs: [await startTaskerPy({ ...upstream, python: programs.python as string })] };
  }
  const floor = name === 'floor' || name === 'floor-hydrate';
  if (floor) {
    const { proc } = await startNodeChild(name, 'floor-child.mjs', url, concurrency, '');
    return { procs: [proc], go: () => proc.child.kill('SIGUSR1') };
  }
  const procs: LoggedProcess[] = [];
  let healthPort: number | undefined;
  for (let i = 1; i <= processesOf(name); i++) {
    const started = await startNodeChild(
      name,
      'ts-worker-child.mjs',
      url,
      concurrency,
      i === 1 ? '' : `-${i}`,
    );
    procs.push(started.proc);
    healthPort ??= started.healthPort;
  }
  return { procs, ...(healthPort === undefined ? {} : { healthPort }) };
}

/** `--heap-at-peak`: what each worker process reported (`BENCH_HEAP`) as it stopped. */
const heapReports = new Map<LoggedProcess, HeapAtPeak>();

/** A Node child of the bench (our worker or the floor loop), started and ready (`BENCH_READY`). */
async function startNodeChild(
  name: StepContender,
  script: string,
  url: string,
  concurrency: number,
  suffix: string,
): Promise<{ proc: LoggedProcess; healthPort?: number }> {
  let ready = false;
  let healthPort: number | undefined;
  // The flood's worker serves health; `--ours-options '{"healthAddress":"127.0.0.1:0"}'` gives plain `ours` the
  // same idle health server, so that the two differ by the flood alone.
  const workerOptions = {
    concurrency,
    ...(name === 'base' ? options.baseOptions : options.oursOptions),
    ...(name === 'ours-flood' ? { healthAddress: '127.0.0.1:0' } : {}),
  };
  const nodeArgs = [
    ...(name === 'base'
      ? options.baseNodeArgs
      : name === 'floor' || name === 'floor-hydrate'
        ? []
        : options.oursNodeArgs),
    ...(options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${join(LOG_DIR, 'cpu-prof')}`] : []),
  ];
  const proc = await spawnLogged(
    `${name}${suffix}`,
    process.execPath,
    [...nodeArgs, join(BUILD_DIR, script)],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        BENCH_DB_URL: url,
        BENCH_CONCURRENCY: String(concurrency),
        BENCH_STEPS: String(stepsFor(options, name)),
        BENCH_HYDRATE: name === 'floor-hydrate' ? '1' : '0',
        BENCH_WORKER_OPTIONS: JSON.stringify(workerOptions),
        BENCH_WORKER_MODULE: name === 'base' ? options.baseModule : options.oursModule,
        BENCH_HEAP_AT_PEAK: options.heapAtPeak ? '1' : '0',
      },
      logFile: join(LOG_DIR, `${name}-c${concurrency}${suffix}.log`),
      onStdoutLine: (line) => {
        if (line.startsWith('BENCH_HEALTH_PORT ')) healthPort = Number(line.split(' ')[1]);
        if (line.startsWith('BENCH_READY')) ready = true;
        if (line.startsWith('BENCH_HEAP '))
          heapReports.set(proc, JSON.parse(line.slice('BENCH_HEAP '.length)));
      },
    },
  );
  await waitUntil(`${name} to start`, async () => (ready ? true : undefined), {
    timeoutMs: 60_000,
    process: proc,
    intervalMs: 20,
  });
  return { proc, ...(healthPort === undefined ? {} : { healthPort }) };
}

/** CPU summed over a contender's processes; peak RSS of the largest one. */
async function procsStats(procs: readonly LoggedProcess[]) {
  const stats = await Promise.all(procs.map((p) => procStats(p.child.pid as number)));
  return {
    cpuMs: stats.reduce((sum, s) => sum + s.cpuMs, 0),
    sysCpuMs: stats.reduce((sum, s) => sum + s.sysCpuMs, 0),
    peakRssMb: Math.max(...stats.map((s) => s.peakRssMb)),
  };
}

/** The flood child (`health-flood-child.ts`) against `port` (0: its own control server); its figures. */
async function healthFlood(port: number): Promise<NonNullable<Measurement['healthFlood']>> {
  let result: Measurement['healthFlood'];
  const proc = await spawnLogged(
    'health-flood',
    process.execPath,
    [join(BUILD_DIR, 'health-flood-child.mjs')],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        BENCH_FLOOD_PORT: String(port),
        BENCH_FLOOD_REQUESTS: String(HEALTH_FLOOD_REQUESTS),
        BENCH_FLOOD_IN_FLIGHT: String(FLOOD_IN_FLIGHT),
      },
      logFile: join(LOG_DIR, 'health-flood.log'),
      onStdoutLine: (line) => {
        if (line.startsWith('BENCH_FLOOD ')) result = JSON.parse(line.slice('BENCH_FLOOD '.length));
      },
    },
  );
  const exit = await proc.exited;
  if (result === undefined) throw new Error(`the health flood exited ${exit.code} without its figures`);
  return result;
}

async function latencyPhase(
  pool: pg.Pool,
  watcher: ResultWatcher,
): Promise<NonNullable<Measurement['latency']>> {
  await seedSteps(pool, options.latencySamples, 'lat');
  const messages = await stepMessages(pool, 'lat');
  const sentAt = new Map<string, number>();
  await sleep(1_000); // idle worker: nothing queued, nothing running
  for (const m of messages) {
    const before = watcher.count;
    sentAt.set(m.step_uuid, nowMs());
    await sendOne(pool, m);
    await watcher.waitFor(before + 1, STALL_MS);
    await sleep(5);
  }
  const starts = await handlerStarts(pool, 'lat');
  const lat = messages
    .map((m) => (starts.get(m.step_uuid) ?? Number.NaN) - (sentAt.get(m.step_uuid) ?? Number.NaN))
    .filter(Number.isFinite);
  return { p50: percentile(lat, 50), p99: percentile(lat, 99), samples: lat.length };
}

function runContext(name: StepContender | JobContender, concurrency: number, round: number): RunContext {
  return { contender: contenderLabel(name, options.oursLabel), round, concurrency, logDir: LOG_DIR };
}

async function stepRun(
  db: BenchDb,
  name: StepContender,
  concurrency: number,
  round: number,
  programs: Programs,
): Promise<Measurement> {
  const context = runContext(name, concurrency, round);
  const n = stepsFor(options, name);
  const withLatency =
    (name === 'ours' || name === 'base' || name === 'rust' || name === 'tasker-py') &&
    concurrency === options.latencyConcurrency &&
    options.latencySamples > 0;
  const clone = await db.clone();
  const pool = taskerPool(clone.url);
  const watcher = await ResultWatcher.open(clone.url);
  let procs: LoggedProcess[] = [];
  try {
    let measured: Omit<Measurement, 'contender' | 'concurrency' | 'round'>;
    try {
      await ensureRegistration(pool);
      const started = await startContender(name, clone.url, concurrency, programs);
      procs = started.procs;
      const latency = withLatency ? await latencyPhase(pool, watcher) : undefined;
      await seedSteps(pool, n, 'tp');
      await sleep(500);
      const base = watcher.count;
      const cpu0 = await procsStats(procs);
      const m0 = await machineCpu();
      const fed = options.feed === 'notify' ? await feedNotify(pool, 'tp') : await feedBatch(pool, 'tp');
      const t0 = nowMs();
      started.go?.();
      // The control sends the same flood to a server of the flood process's own: the box's load without the worker.
      const flood =
        name === 'ours-flood'
          ? healthFlood(started.healthPort as number)
          : name === 'ours-flood-control'
            ? healthFlood(0)
            : undefined;
      if (fed !== n) throw new Error(`fed ${fed} of ${n} step messages`);
      await watcher.waitFor(base + n, STALL_MS);
      const t1 = watcher.lastAt;
      const floodResult = await flood;
      const m1 = await machineCpu();
      const cpu1 = await procsStats(procs);
      const seconds = (t1 - t0) / 1000;
      measured = {
        steps: n,
        stepsPerSec: n / seconds,
        seconds,
        peakRssMb: cpu1.peakRssMb,
        clientCpuMsPerStep: (cpu1.cpuMs - cpu0.cpuMs) / n,
        clientSysCpuMsPerStep: (cpu1.sysCpuMs - cpu0.sysCpuMs) / n,
        machineBusyPct: (100 * (m1.busy - m0.busy)) / Math.max(1, m1.total - m0.total),
        ...(latency ? { latency } : {}),
        ...(floodResult ? { healthFlood: floodResult } : {}),
      };
      // Stopped before the checks, so a late duplicate result or a message it never archived is counted.
      await Promise.all(procs.map((p) => p.stop(15_000)));
      const heap = procs[0] === undefined ? undefined : heapReports.get(procs[0]);
      for (const p of procs) heapReports.delete(p); // read once; the processes are gone
      if (heap) measured.heapAtPeak = heap;
    } catch (error) {
      throw new BenchRunFailed(context, [], error);
    }
    const failures = failedChecks(await checkRun(pool), n + (withLatency ? options.latencySamples : 0));
    if (measured.latency && measured.latency.samples !== options.latencySamples) {
      failures.push(`${measured.latency.samples} of ${options.latencySamples} latency samples recorded`);
    }
    const flooded = measured.healthFlood;
    if (flooded && flooded.ok !== flooded.requests) {
      failures.push(
        `${flooded.ok} of ${flooded.requests} /health/ready requests answered 200; others: ${JSON.stringify(flooded.others)}`,
      );
    }
    if (failures.length > 0) throw new BenchRunFailed(context, failures);
    return { contender: name, concurrency, round, ...measured };
  } finally {
    await Promise.all(procs.map((p) => p.stop(15_000)));
    await watcher.close();
    await pool.end();
    await clone.drop().catch(() => {});
  }
}

async function jobRun(
  db: BenchDb,
  name: JobContender,
  concurrency: number,
  round: number,
  competitors: Competitors,
): Promise<Measurement> {
  const context = runContext(name, concurrency, round);
  const n = stepsFor(options, name);
  const clone = await db.clone();
  try {
    const r = await runCompetitor(competitors, name, clone.url, n, concurrency, round, LOG_DIR).catch(
      (error: unknown) => {
        throw new BenchRunFailed(context, [], error);
      },
    );
    if (r.handled !== n) throw new BenchRunFailed(context, [`handled ${r.handled} jobs, expected ${n}`]);
    return {
      contender: name,
      concurrency,
      round,
      steps: n,
      stepsPerSec: r.jobsPerSec,
      seconds: r.seconds,
      peakRssMb: r.peakRssMb,
    };
  } finally {
    await clone.drop().catch(() => {});
  }
}

async function preparePrograms(): Promise<Programs> {
  const programs: Programs = {};
  if (options.contenders.includes('tasker-py')) programs.python = await ensureTaskerPy();
  if (options.contenders.includes('rust')) {
    log('native Rust worker: cargo build of test/fleet/rust (seconds when up to date)');
    const built = await ensureRustWorker();
    if (built.built) log(`native Rust worker: ${built.built.kind} build took ${built.built.seconds} s`);
    programs.rustBinary = built.binary;
  }
  if (options.contenders.some(isJobContender)) {
    programs.competitors = await ensureCompetitors(join(benchCacheDir(), 'competitors'));
  }
  return programs;
}

function describe(m: Measurement): string {
  return (
    `${fmt(m.stepsPerSec)} ${isJobContender(m.contender) ? 'jobs' : 'steps'}/s (${m.seconds.toFixed(2)} s), ` +
    `rss ${fmt(m.peakRssMb)} MB` +
    (m.clientCpuMsPerStep === undefined
      ? ''
      : `, client cpu ${m.clientCpuMsPerStep.toFixed(3)} ms/step (sys ${(m.clientSysCpuMsPerStep ?? 0).toFixed(3)})`) +
    (m.machineBusyPct === undefined ? '' : `, box ${m.machineBusyPct.toFixed(0)}%`) +
    (m.latency ? `, latency p50 ${m.latency.p50.toFixed(2)} p99 ${m.latency.p99.toFixed(2)} ms` : '') +
    (m.healthFlood
      ? `, health flood ${m.healthFlood.ok}/${m.healthFlood.requests} ok in ${m.healthFlood.seconds.toFixed(2)} s`
      : '') +
    (m.heapAtPeak
      ? `, at peak: ${
          m.heapAtPeak.rssAnon === undefined
            ? ''
            : `rss ${fmt(m.heapAtPeak.rss)} = ${fmt(m.heapAtPeak.rssAnon)} own + ${fmt(m.heapAtPeak.rssFile ?? 0)} mapped files MB, `
        }heap ${fmt(m.heapAtPeak.heapUsed)}/${fmt(m.heapAtPeak.heapTotal)} MB used/committed (${Object.entries(
          m.heapAtPeak.spaces,
        )
          .map(([space, { size, used }]) => `${space} ${used.toFixed(1)}/${size.toFixed(1)}`)
          .join(', ')}), external ${fmt(m.heapAtPeak.external)} MB`
      : '') +
    ', checks passed'
  );
}

async function main(): Promise<void> {
  await mkdir(LOG_DIR, { recursive: true });
  const machine = await describeMachine();
  const id = entryId(startedAt, machine);
  log(`run ${id}; logs: ${LOG_DIR}`);
  log(
    `profile ${options.profile}: steps ${options.steps}, rounds ${options.runs}, concurrency ${options.concurrency.join('/')}, ` +
      `feed ${options.feed}, contenders ${options.contenders.join(',')}` +
      (Object.keys(options.stepsOverride).length
        ? `, steps override ${JSON.stringify(options.stepsOverride)}`
        : ''),
  );
  const programs = await preparePrograms();
  // devdb's own cache rule (as root: /var/tmp, reachable by the postgres user), in a directory of its own.
  const clusterDir = join(devDbCacheDir(), 'bench-cluster');
  const db = await openBenchCluster(clusterDir);
  const measurements: Measurement[] = [];
  const noise: NoiseSample[] = [];
  try {
    for (let round = 1; round <= options.runs; round++) {
      const sample = await measureNoise(db);
      noise.push(sample);
      const order = roundOrder(options.contenders, round);
      log(
        `round ${round}: noise probe select ${fmt(sample.selectPerSec)}/s, commit ${fmt(sample.commitPerSec)}/s, ` +
          `load ${sample.loadavg1.toFixed(2)}; order ${order.join(', ')}`,
      );
      for (const c of options.concurrency) {
        for (const name of order) {
          const m = isJobContender(name)
            ? await jobRun(db, name, c, round, programs.competitors as Competitors)
            : await stepRun(db, name, c, round, programs);
          measurements.push(m);
          log(`round ${round} ${name} c=${c}: ${describe(m)}`);
        }
      }
    }
  } finally {
    // The cluster is the bench's own: stop it even when an interrupted earlier run started it.
    await db.cluster.release();
    await stopDevCluster({ cacheDir: clusterDir }).catch(() => false);
  }

  const historyPath = relative(REPO_ROOT, HISTORY_FILE);
  const report = buildReport(
    measurements,
    noise,
    options,
    `Machine: ${machine.cores} CPUs (${machine.cpuModel}), ${machine.memGiB} GiB, ${machine.node}; ` +
      `commit ${machine.gitCommit.slice(0, 7)}${machine.gitDirty ? ' (uncommitted changes)' : ''}\n` +
      `History entry: ${id} (${historyPath}); logs ${relative(REPO_ROOT, LOG_DIR)}`,
  );
  process.stdout.write(report.text);
  await appendHistory({
    id,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    argv: process.argv.slice(2),
    settings: {
      profile: options.profile,
      steps: options.steps,
      stepsOverride: options.stepsOverride,
      runs: options.runs,
      concurrency: options.concurrency,
      contenders: options.contenders,
      feed: options.feed,
      latencySamples: options.latencySamples,
      latencyConcurrency: options.latencyConcurrency,
      oursLabel: options.oursLabel,
      oursOptions: options.oursOptions,
      oursModule: options.oursModule,
      baseModule: options.baseModule,
      baseOptions: options.baseOptions,
      oursNodeArgs: options.oursNodeArgs,
      baseNodeArgs: options.baseNodeArgs,
      // Inherited by every Node process of the run (bench, workers, floor): heap flags here change every figure.
      nodeOptionsEnv: process.env.NODE_OPTIONS ?? '',
    },
    machine: { ...machine, loadavgAtEnd: loadavg() },
    noise: report.noise,
    figures: report.figures,
    ratios: report.ratios,
  });
  log(`appended history entry ${id} to ${historyPath}`);
  await mkdir(join(options.out, '..'), { recursive: true });
  await writeFile(
    options.out,
    `${JSON.stringify({ id, options, machine, noise, measurements, logDir: LOG_DIR }, null, 2)}\n`,
  );
  log(`raw measurements: ${options.out}`);
}

// Ctrl-C / SIGTERM: exit through process.exit so the fleet support's exit hook kills every child we started.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
try {
  await main();
} catch (error) {
  process.stderr.write(
    `\n${error instanceof BenchRunFailed ? error.message : `bench FAILED: ${(error as Error).stack ?? String(error)}`}\n`,
  );
  process.exit(1);
}
