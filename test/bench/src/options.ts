// `npm run bench -- [options]`: the profiles and every option, validated before anything starts (parseArgs is
// strict: an unknown option, such as the removed `--rust-steps`, stops the bench).

import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type ContenderName, DEFAULT_CONTENDERS, isContender } from './contenders.js';
import { REPO_ROOT } from './paths.js';

/** `full` (the default) is what the README's figures come from; `--quick` is for comparisons while developing. */
export const PROFILES = {
  full: { steps: 20_000, runs: 3, concurrency: [1, 10, 50] },
  quick: { steps: 2_000, runs: 1, concurrency: [10] },
} as const;

export interface BenchOptions {
  profile: keyof typeof PROFILES;
  /** Steps (jobs) per measured run, the same for every contender unless `stepsOverride` names it. */
  steps: number;
  /** `--steps-override tasker-py=2000,...`: recorded in the history entry and flagged in the table. */
  stepsOverride: Partial<Record<ContenderName, number>>;
  runs: number;
  concurrency: number[];
  contenders: ContenderName[];
  latencySamples: number;
  latencyConcurrency: number;
  feed: 'notify' | 'batch';
  oursOptions: Record<string, unknown>;
  oursLabel: string;
  /** Another build of the worker package to load (absolute path to its dist/index.js); '' = the built package. */
  oursModule: string;
  /**
   * `--base-module`: a second build of the worker that runs as the contender `base` in the same rounds (default:
   * the same build as ours), so that `ours ÷ base` compares two builds or two settings minutes apart (an A/B).
   */
  baseModule: string;
  /** `--base-options`: the base contender's options (JSON, as `--ours-options`), default the same as ours. */
  baseOptions: Record<string, unknown>;
  /**
   * `--ours-node-args` / `--base-node-args`: Node/V8 flags for the worker processes of ours / base (e.g. heap
   * sizing, docs/performance.md §3.4), space-separated; default none. An A/B of one build under two settings of the
   * runtime.
   */
  oursNodeArgs: string[];
  baseNodeArgs: string[];
  out: string;
  cpuProf: boolean;
  /** `--heap-at-peak`: our worker processes report their heap at their RSS peak (`ts-worker-child.ts`). */
  heapAtPeak: boolean;
}

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${text}`);
  return n;
}

/** Flags for `node` itself (`--max-semi-space-size=2 ...`): each must be an option, so no script can slip in. */
function nodeArgs(name: string, text: string): string[] {
  const args = text.split(/\s+/).filter(Boolean);
  const bad = args.find((arg) => !arg.startsWith('--'));
  if (bad !== undefined) throw new Error(`--${name} takes Node options (--flag[=value]), got ${bad}`);
  return args;
}

function contenderName(text: string): ContenderName {
  if (!isContender(text)) throw new Error(`unknown contender ${text}`);
  return text;
}

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      steps: { type: 'string' },
      'steps-override': { type: 'string', default: '' },
      runs: { type: 'string' },
      concurrency: { type: 'string' },
      contenders: { type: 'string', default: DEFAULT_CONTENDERS.join(',') },
      'latency-samples': { type: 'string', default: '200' },
      'latency-concurrency': { type: 'string', default: '10' },
      feed: { type: 'string', default: 'notify' },
      'ours-options': { type: 'string', default: '{}' },
      'ours-label': { type: 'string', default: 'ours' },
      'ours-module': { type: 'string', default: '' },
      'base-module': { type: 'string', default: '' },
      'base-options': { type: 'string' },
      'ours-node-args': { type: 'string', default: '' },
      'base-node-args': { type: 'string', default: '' },
      out: { type: 'string', default: join(REPO_ROOT, 'bench-results', 'latest.json') },
      'cpu-prof': { type: 'boolean', default: false },
      'heap-at-peak': { type: 'boolean', default: false },
    },
  });
  const profile = values.quick ? 'quick' : 'full';
  const base = PROFILES[profile];
  const stepsOverride: Partial<Record<ContenderName, number>> = {};
  for (const pair of values['steps-override'].split(',').filter(Boolean)) {
    const [name = '', n = ''] = pair.split('=');
    stepsOverride[contenderName(name.trim())] = positiveInt('steps-override', n.trim());
  }
  if (values.feed !== 'notify' && values.feed !== 'batch') {
    throw new Error(`--feed must be notify or batch, got ${values.feed}`);
  }
  const latencySamples = Number(values['latency-samples']);
  if (!Number.isInteger(latencySamples) || latencySamples < 0) {
    throw new Error(`--latency-samples must be 0 or more, got ${values['latency-samples']}`);
  }
  const contenders = values.contenders.split(',').map((c) => contenderName(c.trim()));
  const baseModule = values['base-module'];
  const oursOptions = JSON.parse(values['ours-options']) as Record<string, unknown>;
  const baseOptions =
    values['base-options'] === undefined
      ? oursOptions
      : (JSON.parse(values['base-options']) as Record<string, unknown>);
  const oursNodeArgs = nodeArgs('ours-node-args', values['ours-node-args']);
  const baseNodeArgs = nodeArgs('base-node-args', values['base-node-args']);
  const withBase = baseModule !== '' || values['base-options'] !== undefined || baseNodeArgs.length > 0;
  if (withBase && !contenders.includes('base')) contenders.splice(1, 0, 'base');
  return {
    profile,
    steps: values.steps ? positiveInt('steps', values.steps) : base.steps,
    stepsOverride,
    runs: values.runs ? positiveInt('runs', values.runs) : base.runs,
    concurrency: values.concurrency
      ? values.concurrency.split(',').map((c) => positiveInt('concurrency', c))
      : [...base.concurrency],
    contenders,
    latencySamples,
    latencyConcurrency: positiveInt('latency-concurrency', values['latency-concurrency']),
    feed: values.feed,
    oursOptions,
    oursLabel: values['ours-label'],
    oursModule: values['ours-module'],
    baseModule,
    baseOptions,
    oursNodeArgs,
    baseNodeArgs,
    out: values.out,
    cpuProf: values['cpu-prof'],
    heapAtPeak: values['heap-at-peak'],
  };
}

export function stepsFor(options: BenchOptions, name: ContenderName): number {
  return options.stepsOverride[name] ?? options.steps;
}
