// From the measured runs to what the bench prints and records: per contender and concurrency the median
// [min..max] over rounds, ratios of ours to every other contender taken round by round (same minutes, same
// noise), and the run-to-run spread.

import { type ContenderName, contenderLabel } from './contenders.js';
import type { NoiseSample } from './noise.js';
import { type BenchOptions, stepsFor } from './options.js';
import { fmt, fmtSummary, type Summary, summarize, table } from './stats.js';

/** One measured run of one contender at one concurrency in one round, after its checks passed. */
export interface Measurement {
  contender: ContenderName;
  concurrency: number;
  round: number;
  steps: number;
  stepsPerSec: number;
  seconds: number;
  peakRssMb: number;
  /** The contender process's user + system CPU per step (not measured for graphile-worker / pg-boss). */
  clientCpuMsPerStep?: number;
  /** The system (kernel) part of it: system calls, the socket writes that wake PostgreSQL. */
  clientSysCpuMsPerStep?: number;
  machineBusyPct?: number;
  latency?: { p50: number; p99: number; samples: number };
  /** `ours-flood`: the `/health/ready` requests sent during the measured run, and how long they took. */
  healthFlood?: { requests: number; ok: number; seconds: number; others?: Record<string, number> };
  /** `--heap-at-peak`: our worker's memory when its RSS was highest (MB), as `ts-worker-child.ts` reports it. */
  heapAtPeak?: HeapAtPeak;
}

export interface HeapAtPeak {
  rss: number;
  /** The process's own resident memory (`RssAnon`); absent in older history entries. */
  rssAnon?: number;
  /** Resident pages of mapped files (`RssFile`), mostly the `node` binary's, shared between its processes. */
  rssFile?: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  /** V8 heap space → committed / used, MB. */
  spaces: Record<string, { size: number; used: number }>;
}

export interface ContenderFigures {
  label: string;
  steps: number;
  /** Ran a different number of steps than the others (`--steps-override`). */
  stepsOverridden: boolean;
  byConcurrency: Record<
    string,
    { stepsPerSec: Summary; clientCpuMsPerStep: Summary; peakRssMb: Summary; spread: number }
  >;
  latency?: { concurrency: number; p50: Summary; p99: Summary };
}

export interface Report {
  text: string;
  figures: Partial<Record<ContenderName, ContenderFigures>>;
  ratios: Record<string, Record<string, Summary>>;
  noise: { samples: NoiseSample[]; selectPerSec: Summary; commitPerSec: Summary };
}

const spread = (s: Summary) => (s.min > 0 ? s.max / s.min : Number.NaN);
const key = (c: number) => `c=${c}`;

export function buildReport(
  measurements: readonly Measurement[],
  noise: NoiseSample[],
  options: BenchOptions,
  footer: string,
): Report {
  const contenders = options.contenders.filter((name) => measurements.some((m) => m.contender === name));
  const of = (name: ContenderName, c?: number) =>
    measurements.filter((m) => m.contender === name && (c === undefined || m.concurrency === c));
  const flag = (name: ContenderName) => (options.stepsOverride[name] === undefined ? '' : ' †');
  const label = (name: ContenderName) => `${contenderLabel(name, options.oursLabel)}${flag(name)}`;
  const latC = options.latencyConcurrency;

  const figures: Report['figures'] = {};
  for (const name of contenders) {
    const byConcurrency: ContenderFigures['byConcurrency'] = {};
    for (const c of options.concurrency) {
      const runs = of(name, c);
      const stepsPerSec = summarize(runs.map((m) => m.stepsPerSec));
      byConcurrency[key(c)] = {
        stepsPerSec,
        clientCpuMsPerStep: summarize(runs.map((m) => m.clientCpuMsPerStep ?? Number.NaN)),
        peakRssMb: summarize(runs.map((m) => m.peakRssMb)),
        spread: spread(stepsPerSec),
      };
    }
    const withLatency = of(name, latC).filter((m) => m.latency);
    figures[name] = {
      label: contenderLabel(name, options.oursLabel),
      steps: stepsFor(options, name),
      stepsOverridden: options.stepsOverride[name] !== undefined,
      byConcurrency,
      ...(withLatency.length
        ? {
            latency: {
              concurrency: latC,
              p50: summarize(withLatency.map((m) => m.latency?.p50 ?? Number.NaN)),
              p99: summarize(withLatency.map((m) => m.latency?.p99 ?? Number.NaN)),
            },
          }
        : {}),
    };
  }

  // Ratios per round (same run), then the median of those ratios.
  const ratios: Report['ratios'] = {};
  const ratioRows: string[][] = [];
  if (contenders.includes('ours')) {
    for (const other of contenders.filter((n) => n !== 'ours')) {
      const row: Record<string, Summary> = {};
      for (const c of options.concurrency) {
        const values = of('ours', c).flatMap((ours) => {
          const theirs = of(other, c).find((m) => m.round === ours.round);
          return theirs ? [ours.stepsPerSec / theirs.stepsPerSec] : [];
        });
        row[key(c)] = summarize(values);
      }
      ratios[`${options.oursLabel} ÷ ${contenderLabel(other, options.oursLabel)}`] = row;
      ratioRows.push([
        `${label('ours')} ÷ ${label(other)}`,
        ...options.concurrency.map((c) => {
          const s = row[key(c)] as Summary;
          if (!Number.isFinite(s.median)) return '—';
          return s.runs.length === 1
            ? `${s.median.toFixed(2)}×`
            : `${s.median.toFixed(2)}× [${s.min.toFixed(2)}..${s.max.toFixed(2)}]`;
        }),
      ]);
    }
  }

  const header = [
    'contender',
    ...options.concurrency.map((c) => `c=${c} steps/s`),
    `p50 ms (c=${latC}, idle)`,
    `p99 ms (c=${latC}, idle)`,
    'peak RSS MB',
    `client CPU ms/step (c=${options.concurrency.join('/')})`,
  ];
  const rows = contenders.map((name) => {
    const f = figures[name] as ContenderFigures;
    const at = (c: number) => f.byConcurrency[key(c)];
    return [
      label(name),
      ...options.concurrency.map((c) => fmtSummary(at(c)?.stepsPerSec)),
      fmtSummary(f.latency?.p50, 2),
      fmtSummary(f.latency?.p99, 2),
      fmtSummary(summarize(of(name).map((m) => m.peakRssMb))),
      options.concurrency
        .map((c) => {
          const cpu = at(c)?.clientCpuMsPerStep.median ?? Number.NaN;
          return Number.isFinite(cpu) ? cpu.toFixed(2) : '—';
        })
        .join(' / '),
    ];
  });

  const noiseSummary = {
    samples: noise,
    selectPerSec: summarize(noise.map((n) => n.selectPerSec)),
    commitPerSec: summarize(noise.map((n) => n.commitPerSec)),
  };
  const overridden = contenders.filter((n) => options.stepsOverride[n] !== undefined);
  const text = [
    '',
    `Profile ${options.profile}: ${fmt(options.steps)} steps per run, ${options.runs} round(s), feed ${
      options.feed === 'batch' ? 'pgmq.send_batch' : 'pgmq_send_with_notify ×N in one transaction'
    }; median [min..max] over rounds`,
    '',
    table(header, rows),
    ...overridden.map(
      (n) =>
        `† ${contenderLabel(n, options.oursLabel)} ran ${fmt(stepsFor(options, n))} steps per run (--steps-override), ` +
        `the others ${fmt(options.steps)}: its figures are not like for like.`,
    ),
    '',
    'Ratios in the same round (median of per-round ratios [min..max]):',
    '',
    table(['ratio', ...options.concurrency.map(key)], ratioRows),
    '',
    `Machine noise: select-only ${fmtSummary(noiseSummary.selectPerSec)} /s (spread ${spread(noiseSummary.selectPerSec).toFixed(2)}×), ` +
      `single-row commit ${fmtSummary(noiseSummary.commitPerSec)} /s (spread ${spread(noiseSummary.commitPerSec).toFixed(2)}×)`,
    `Run-to-run spread (max/min): ${contenders
      .flatMap((n) =>
        options.concurrency.map(
          (c) => `${n} ${key(c)} ${(figures[n]?.byConcurrency[key(c)]?.spread ?? Number.NaN).toFixed(2)}×`,
        ),
      )
      .join(', ')}`,
    footer,
    '',
  ].join('\n');
  return { text, figures, ratios, noise: noiseSummary };
}
