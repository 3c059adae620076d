// `npm run bench`: our worker vs upstream's Rust worker core vs the PostgreSQL floor vs graphile-worker and
// pg-boss, on this machine, in one run. See the root README's "Performance" section for the method.

import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { devDbCacheDir, stopDevCluster } from '@tasker-bridge/devdb';
import type pg from 'pg';
import type { LoggedProcess } from '../../fleet/support/processes.js';
import { spawnLogged, waitUntil } from '../../fleet/support/processes.js';
import { type CompetitorResult, ensureCompetitors, runCompetitor } from './competitors.js';
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
  verify,
} from './db.js';
import { measureNoise, type NoiseSample } from './noise.js';
import { benchCacheDir, REPO_ROOT } from './paths.js';
import { ensureTaskerPy, startRustWorker } from './rust-worker.js';
import {
  fmt,
  fmtSummary,
  machineCpu,
  percentile,
  procStats,
  type Summary,
  summarize,
  table,
} from './stats.js';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '20000' },
    // Upstream's worker drains ~30-70 steps/s here, so 20,000 steps take 5-10 min per point; allow fewer for it.
    'rust-steps': { type: 'string', default: '' },
    runs: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '1,10,50' },
    contenders: { type: 'string', default: 'ours,rust,floor,graphile,pgboss' },
    'latency-samples': { type: 'string', default: '200' },
    'latency-concurrency': { type: 'string', default: '10' },
    feed: { type: 'string', default: 'notify' },
    'ours-options': { type: 'string', default: '{}' },
    'ours-label': { type: 'string', default: 'ours' },
    // A worker build to load instead of @tasker-bridge/worker (absolute path to its dist/index.js).
    'ours-module': { type: 'string', default: '' },
    out: { type: 'string', default: join(REPO_ROOT, 'bench-results', 'latest.json') },
    'cpu-prof': { type: 'boolean', default: false },
  },
});

const STEPS = Number(args.steps);
const RUST_STEPS = Number(args['rust-steps'] || args.steps);
const stepsFor = (kind: string) => (kind === 'rust' ? RUST_STEPS : STEPS);
const RUNS = Number(args.runs);
const CONCURRENCY = (args.concurrency as string).split(',').map(Number);
const CONTENDERS = (args.contenders as string).split(',');
const LAT_SAMPLES = Number(args['latency-samples']);
const LAT_C = Number(args['latency-concurrency']);
const FEED = args.feed as 'batch' | 'notify';
const OURS_OPTIONS = JSON.parse(args['ours-options'] as string) as Record<string, unknown>;
const BUILD_DIR = process.env.BENCH_BUILD_DIR as string;
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const LOG_DIR = join(REPO_ROOT, 'test-results', 'bench', stamp);
const STALL_MS = 60_000;

type Kind = 'ours' | 'rust' | 'floor' | 'floor-hydrate';

interface StepRun {
  contender: Kind;
  concurrency: number;
  round: number;
  steps: number;
  stepsPerSec: number;
  seconds: number;
  peakRssMb: number;
  clientCpuMsPerStep: number;
  machineBusyPct: number;
  latency?: { p50: number; p99: number; samples: number };
  verify: Awaited<ReturnType<typeof verify>>;
}

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function startContender(
  kind: Kind,
  url: string,
  concurrency: number,
  python: string | undefined,
): Promise<{ proc: LoggedProcess; go?: () => void }> {
  if (kind === 'rust') {
    return {
      proc: await startRustWorker({
        python: python as string,
        databaseUrl: url,
        concurrency,
        logDir: LOG_DIR,
      }),
    };
  }
  const floor = kind === 'floor' || kind === 'floor-hydrate';
  let ready = false;
  const script = join(BUILD_DIR, floor ? 'floor-child.mjs' : 'ts-worker-child.mjs');
  const nodeArgs = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${join(LOG_DIR, 'cpu-prof')}`] : [];
  const proc = await spawnLogged(kind, process.execPath, [...nodeArgs, script], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      BENCH_DB_URL: url,
      BENCH_CONCURRENCY: String(concurrency),
      BENCH_STEPS: String(stepsFor(kind)),
      BENCH_HYDRATE: kind === 'floor-hydrate' ? '1' : '0',
      BENCH_WORKER_OPTIONS: JSON.stringify({ concurrency, ...OURS_OPTIONS }),
      BENCH_WORKER_MODULE: args['ours-module'] as string,
    },
    logFile: join(LOG_DIR, `${kind}-c${concurrency}.log`),
    onStdoutLine: (line) => {
      if (line.startsWith('BENCH_READY')) ready = true;
    },
  });
  await waitUntil(`${kind} to start`, async () => (ready ? true : undefined), {
    timeoutMs: 60_000,
    process: proc,
    intervalMs: 20,
  });
  return { proc, ...(floor ? { go: () => proc.child.kill('SIGUSR1') } : {}) };
}

async function latencyPhase(
  pool: pg.Pool,
  watcher: ResultWatcher,
): Promise<{ p50: number; p99: number; samples: number }> {
  await seedSteps(pool, LAT_SAMPLES, 'lat');
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

async function stepRun(
  db: BenchDb,
  kind: Kind,
  concurrency: number,
  round: number,
  python?: string,
): Promise<StepRun> {
  const clone = await db.clone();
  const pool = taskerPool(clone.url);
  const watcher = await ResultWatcher.open(clone.url);
  let proc: LoggedProcess | undefined;
  try {
    await ensureRegistration(pool);
    const started = await startContender(kind, clone.url, concurrency, python);
    proc = started.proc;
    let latency: StepRun['latency'];
    if ((kind === 'ours' || kind === 'rust') && concurrency === LAT_C && LAT_SAMPLES > 0) {
      latency = await latencyPhase(pool, watcher);
    }
    const n = stepsFor(kind);
    await seedSteps(pool, n, 'tp');
    await sleep(500);
    const base = watcher.count;
    const cpu0 = await procStats(proc.child.pid as number);
    const m0 = await machineCpu();
    const fed = FEED === 'notify' ? await feedNotify(pool, 'tp') : await feedBatch(pool, 'tp');
    const t0 = nowMs();
    started.go?.();
    if (fed !== n) throw new Error(`fed ${fed} of ${n}`);
    await watcher.waitFor(base + n, STALL_MS);
    const t1 = watcher.lastAt;
    const m1 = await machineCpu();
    const cpu1 = await procStats(proc.child.pid as number);
    const check = await verify(pool, 'tp');
    const seconds = (t1 - t0) / 1000;
    return {
      contender: kind,
      concurrency,
      round,
      steps: n,
      stepsPerSec: n / seconds,
      seconds,
      peakRssMb: cpu1.peakRssMb,
      clientCpuMsPerStep: (cpu1.cpuMs - cpu0.cpuMs) / n,
      machineBusyPct: (100 * (m1.busy - m0.busy)) / Math.max(1, m1.total - m0.total),
      ...(latency ? { latency } : {}),
      verify: check,
    };
  } finally {
    await proc?.stop(15_000);
    await watcher.close();
    await pool.end();
    await clone.drop().catch(() => {});
  }
}

async function main(): Promise<void> {
  await mkdir(LOG_DIR, { recursive: true });
  const cacheDir = benchCacheDir();
  log(`logs: ${LOG_DIR}`);
  log(
    `steps ${STEPS}, runs ${RUNS}, concurrency ${CONCURRENCY.join('/')}, feed ${FEED}, contenders ${CONTENDERS.join(',')}`,
  );
  // devdb's own cache rule (as root: /var/tmp, reachable by the postgres user), in a directory of its own.
  const clusterDir = join(devDbCacheDir(), 'bench-cluster');
  const db = await openBenchCluster(clusterDir);
  const python = CONTENDERS.includes('rust') ? await ensureTaskerPy() : undefined;
  const competitors =
    CONTENDERS.includes('graphile') || CONTENDERS.includes('pgboss')
      ? await ensureCompetitors(join(cacheDir, 'competitors'))
      : undefined;

  const stepRuns: StepRun[] = [];
  const compRuns: CompetitorResult[] = [];
  const noise: NoiseSample[] = [];
  const kinds = (['ours', 'rust', 'floor', 'floor-hydrate'] as Kind[]).filter((k) => CONTENDERS.includes(k));
  try {
    for (let round = 1; round <= RUNS; round++) {
      const sample = await measureNoise(db);
      noise.push(sample);
      log(
        `round ${round}: noise probe select ${fmt(sample.selectPerSec)}/s, commit ${fmt(sample.commitPerSec)}/s, load ${sample.loadavg1.toFixed(2)}`,
      );
      for (const c of CONCURRENCY) {
        for (const kind of kinds) {
          const r = await stepRun(db, kind, c, round, python);
          stepRuns.push(r);
          log(
            `round ${round} ${kind} c=${c}: ${fmt(r.stepsPerSec)} steps/s (${r.seconds.toFixed(2)} s), rss ${fmt(r.peakRssMb)} MB, ` +
              `client cpu ${r.clientCpuMsPerStep.toFixed(3)} ms/step, box ${r.machineBusyPct.toFixed(0)}%` +
              (r.latency
                ? `, latency p50 ${r.latency.p50.toFixed(2)} p99 ${r.latency.p99.toFixed(2)} ms`
                : '') +
              `, check ${JSON.stringify(r.verify)}`,
          );
        }
        for (const name of ['graphile', 'pgboss'] as const) {
          if (!CONTENDERS.includes(name) || !competitors) continue;
          const clone = await db.clone();
          try {
            const r = await runCompetitor(competitors, name, clone.url, STEPS, c, round, LOG_DIR);
            compRuns.push(r);
            log(
              `round ${round} ${name} c=${c}: ${fmt(r.jobsPerSec)} jobs/s (${r.seconds.toFixed(2)} s), rss ${fmt(r.peakRssMb)} MB`,
            );
          } catch (error) {
            log(`round ${round} ${name} c=${c} failed: ${(error as Error).message}`);
          } finally {
            await clone.drop().catch(() => {});
          }
        }
      }
    }
  } finally {
    // The cluster is the bench's own: stop it even when an interrupted earlier run started it.
    await db.cluster.release();
    await stopDevCluster({ cacheDir: clusterDir }).catch(() => false);
  }
  report(stepRuns, compRuns, noise);
}

function report(stepRuns: StepRun[], compRuns: CompetitorResult[], noise: NoiseSample[]): void {
  const label = (k: string) => (k === 'ours' ? (args['ours-label'] as string) : k);
  const sum = (kind: string, c: number, pick: (r: StepRun) => number | undefined) =>
    summarize(
      stepRuns.filter((r) => r.contender === kind && r.concurrency === c).map((r) => pick(r) ?? Number.NaN),
    );
  const csum = (name: string, c: number) =>
    summarize(compRuns.filter((r) => r.name === name && r.concurrency === c).map((r) => r.jobsPerSec));
  // Ratios per round (same run), then the median of those ratios.
  const ratio = (other: string, c: number, otherIsCompetitor = false) => {
    const values: number[] = [];
    for (const ours of stepRuns.filter((r) => r.contender === 'ours' && r.concurrency === c)) {
      const theirs = otherIsCompetitor
        ? compRuns.find((r) => r.name === other && r.concurrency === c && r.round === ours.round)?.jobsPerSec
        : stepRuns.find((r) => r.contender === other && r.concurrency === c && r.round === ours.round)
            ?.stepsPerSec;
      if (theirs) values.push(ours.stepsPerSec / theirs);
    }
    return summarize(values);
  };
  const kinds = [...new Set(stepRuns.map((r) => r.contender))];
  const rows: string[][] = [];
  for (const kind of kinds) {
    rows.push([
      label(kind),
      ...CONCURRENCY.map((c) => fmtSummary(sum(kind, c, (r) => r.stepsPerSec))),
      fmtSummary(
        sum(kind, LAT_C, (r) => r.latency?.p50),
        2,
      ),
      fmtSummary(
        sum(kind, LAT_C, (r) => r.latency?.p99),
        2,
      ),
      fmtSummary(summarize(stepRuns.filter((r) => r.contender === kind).map((r) => r.peakRssMb))),
      CONCURRENCY.map((c) => sum(kind, c, (r) => r.clientCpuMsPerStep).median.toFixed(2)).join(' / '),
    ]);
  }
  for (const name of [...new Set(compRuns.map((r) => r.name))]) {
    rows.push([
      name,
      ...CONCURRENCY.map((c) => fmtSummary(csum(name, c))),
      '—',
      '—',
      fmtSummary(summarize(compRuns.filter((r) => r.name === name).map((r) => r.peakRssMb))),
      '—',
    ]);
  }
  const header = [
    'contender',
    ...CONCURRENCY.map((c) => `c=${c} steps/s`),
    `p50 ms (c=${LAT_C})`,
    `p99 ms (c=${LAT_C})`,
    'peak RSS MB',
    'client CPU ms/step',
  ];
  const ratioRows: string[][] = [];
  const others = [
    ...kinds.filter((k) => k !== 'ours').map((k) => ({ name: k, competitor: false })),
    ...[...new Set(compRuns.map((r) => r.name))].map((n) => ({ name: n, competitor: true })),
  ];
  for (const o of others) {
    ratioRows.push([
      `${label('ours')} ÷ ${o.name}`,
      ...CONCURRENCY.map((c) => {
        const s = ratio(o.name, c, o.competitor);
        return Number.isFinite(s.median)
          ? `${s.median.toFixed(2)}× [${s.min.toFixed(2)}..${s.max.toFixed(2)}]`
          : '—';
      }),
    ]);
  }
  const noiseSummary = {
    selectPerSec: summarize(noise.map((n) => n.selectPerSec)),
    commitPerSec: summarize(noise.map((n) => n.commitPerSec)),
  };
  const spread = (s: Summary) => (s.min > 0 ? s.max / s.min : Number.NaN);
  // Run-to-run spread of each contender's throughput (max/min over rounds).
  const runSpread: Record<string, number> = {};
  for (const kind of kinds)
    for (const c of CONCURRENCY) runSpread[`${kind} c=${c}`] = spread(sum(kind, c, (r) => r.stepsPerSec));
  const machine = {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadavgAtEnd: loadavg(),
  };

  const out = [
    '',
    `Steps: ${STEPS} per run${RUST_STEPS !== STEPS ? ` (rust: ${RUST_STEPS})` : ''}, ${RUNS} run(s), feed ${FEED === 'batch' ? 'pgmq.send_batch' : 'pgmq_send_with_notify ×N in one transaction'}; median [min..max]`,
    '',
    table(header, rows),
    '',
    'Ratios in the same run (median of per-round ratios [min..max]):',
    '',
    table(['ratio', ...CONCURRENCY.map((c) => `c=${c}`)], ratioRows),
    '',
    `Machine noise: select-only ${fmtSummary(noiseSummary.selectPerSec)} /s (spread ${spread(noiseSummary.selectPerSec).toFixed(2)}×), ` +
      `single-row commit ${fmtSummary(noiseSummary.commitPerSec)} /s (spread ${spread(noiseSummary.commitPerSec).toFixed(2)}×)`,
    `Run-to-run spread (max/min): ${Object.entries(runSpread)
      .map(([k, v]) => `${k} ${v.toFixed(2)}×`)
      .join(', ')}`,
    `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memGiB} GiB, ${machine.node}; logs ${LOG_DIR}`,
    '',
  ].join('\n');
  process.stdout.write(out);
  const json = {
    generatedAt: new Date().toISOString(),
    settings: {
      steps: STEPS,
      rustSteps: RUST_STEPS,
      runs: RUNS,
      concurrency: CONCURRENCY,
      feed: FEED,
      latencySamples: LAT_SAMPLES,
      latencyConcurrency: LAT_C,
      oursOptions: OURS_OPTIONS,
      oursModule: args['ours-module'],
    },
    machine,
    noise: { samples: noise, ...noiseSummary },
    stepRuns,
    competitorRuns: compRuns,
    summary: {
      rows: rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]]))),
      ratios: ratioRows.map((r) =>
        Object.fromEntries(['ratio', ...CONCURRENCY.map((c) => `c=${c}`)].map((h, i) => [h, r[i]])),
      ),
      runSpread,
    },
    logDir: LOG_DIR,
  };
  const file = args.out as string;
  void mkdir(join(file, '..'), { recursive: true })
    .then(() => writeFile(file, `${JSON.stringify(json, null, 2)}\n`))
    .then(() => log(`wrote ${file}`));
}

// Ctrl-C / SIGTERM: exit through process.exit so the fleet support's exit hook kills every child we started.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
await main();
