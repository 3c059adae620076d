// Who the bench measures, under which name, and in which order per round.

export const CONTENDERS = [
  'ours',
  'base',
  'ours-2p',
  'ours-4p',
  'ours-flood',
  'ours-flood-control',
  'rust',
  'tasker-py',
  'floor',
  'floor-hydrate',
  'graphile',
  'pgboss',
] as const;
export type ContenderName = (typeof CONTENDERS)[number];
/** Contenders that process tasker steps (seeded, fed and checked by the bench). */
export type StepContender = Exclude<ContenderName, 'graphile' | 'pgboss'>;
/** graphile-worker and pg-boss: their own jobs, counted by their own scripts (competitors.ts). */
export type JobContender = Extract<ContenderName, 'graphile' | 'pgboss'>;

export const DEFAULT_CONTENDERS: readonly ContenderName[] = [
  'ours',
  'rust',
  'tasker-py',
  'floor',
  'graphile',
  'pgboss',
];

const LABELS: Record<Exclude<ContenderName, 'ours'>, string> = {
  base: 'base',
  'ours-2p': 'ours ×2 processes',
  'ours-4p': 'ours ×4 processes',
  'ours-flood': 'ours + /health/ready flood',
  'ours-flood-control': 'ours + the same flood at another server',
  rust: 'rust (native worker)',
  'tasker-py': 'tasker-py (Python dispatch)',
  floor: 'floor',
  'floor-hydrate': 'floor-hydrate',
  graphile: 'graphile-worker',
  pgboss: 'pg-boss',
};

export function contenderLabel(name: ContenderName, oursLabel: string): string {
  return name === 'ours' ? oursLabel : LABELS[name];
}

export function isContender(name: string): name is ContenderName {
  return (CONTENDERS as readonly string[]).includes(name);
}

/**
 * How many worker processes a contender runs, competing for the same queue: the scale-out curve (`ours-2p`,
 * `ours-4p`: that many copies of ours, each with the run's concurrency); 1 for every other contender.
 */
export function processesOf(name: ContenderName): number {
  return name === 'ours-2p' ? 2 : name === 'ours-4p' ? 4 : 1;
}

export function isJobContender(name: ContenderName): name is JobContender {
  return name === 'graphile' || name === 'pgboss';
}

/**
 * The order of round `round` (1-based): the list rotated by one place per round, so that no contender always
 * runs first on a cold cache or last on a box that other work has started to load.
 */
export function roundOrder<T>(list: readonly T[], round: number): T[] {
  if (list.length === 0) return [];
  const k = (round - 1) % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}
