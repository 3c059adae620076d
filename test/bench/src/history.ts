// test/bench/history.jsonl: one JSON line per completed bench run (committed), so that every figure the README
// quotes names the entry it comes from. An entry carries the machine and the tree it ran on, the settings, the
// noise probe, the figures and the ratios; a run that failed a check appends nothing (checks.ts).

import { execFile } from 'node:child_process';
import { appendFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BENCH_DIR, REPO_ROOT } from './paths.js';

export const HISTORY_FILE = join(BENCH_DIR, 'history.jsonl');

export interface Machine {
  cpuModel: string;
  cores: number;
  memGiB: number;
  kernel: string;
  node: string;
  gitCommit: string;
  /** Uncommitted changes in the tree the bench ran from (figures of a dirty tree are not the commit's). */
  gitDirty: boolean;
  loadavgAtStart: number[];
}

const git = async (args: string[]) =>
  (await promisify(execFile)('git', args, { cwd: REPO_ROOT })).stdout.trim();

export async function describeMachine(): Promise<Machine> {
  const [gitCommit, status] = await Promise.all([
    git(['rev-parse', 'HEAD']).catch(() => 'unknown'),
    git(['status', '--porcelain']).catch(() => ''),
  ]);
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memGiB: Math.round((10 * totalmem()) / 2 ** 30) / 10,
    kernel: release(),
    node: process.version,
    gitCommit,
    gitDirty: status.length > 0,
    loadavgAtStart: loadavg(),
  };
}

/** `<UTC start time>-<short commit>[-dirty]`, e.g. `2026-12-02T14:31:07Z-811e7ea-dirty`. */
export function entryId(startedAt: Date, machine: Machine): string {
  const time = `${startedAt.toISOString().slice(0, 19)}Z`;
  return `${time}-${machine.gitCommit.slice(0, 7)}${machine.gitDirty ? '-dirty' : ''}`;
}

/**
 * Figures to 3 decimals: an entry stays one readable line, and no figure is quoted finer than it was measured.
 * Paths into the repository (`--ours-module`, `--base-module`) are written relative to it: the file is committed,
 * and a machine path means nothing elsewhere (scripts/check-references.mjs refuses it).
 */
const rounded = (_key: string, value: unknown) => {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.round(value * 1000) / 1000;
  if (typeof value === 'string' && value.includes(`${REPO_ROOT}/`))
    return value.replaceAll(`${REPO_ROOT}/`, '');
  return value;
};

export async function appendHistory(
  entry: { id: string } & Record<string, unknown>,
  file = HISTORY_FILE,
): Promise<void> {
  await appendFile(file, `${JSON.stringify(entry, rounded)}\n`);
}
