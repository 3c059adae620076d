// Parses a Prometheus text exposition with the Prometheus project's own parser (prometheus-client's
// `text_string_to_metric_families`, Python, from PyPI at a pinned version), so tests check what a scraper reads
// rather than matching strings. No npm parser handles labelled histograms correctly; this one is what the
// Prometheus Python ecosystem scrapes with. Installed once with `pip --target` into the devdb cache (~2 s, one
// pure-Python wheel), then each parse is one short `python3` run.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { devDbCacheDir } from '@tasker-bridge/devdb';

export const PROMETHEUS_CLIENT_VERSION = '0.26.0';

const PARSE = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
families = [
    {"name": f.name, "type": f.type, "help": f.documentation,
     "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]}
    for f in text_string_to_metric_families(sys.stdin.read())
]
json.dump(families, sys.stdout, allow_nan=True)
`;

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  /** The family name as the parser reports it (a counter's without `_total`). */
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'unknown' | string;
  help: string;
  samples: Sample[];
}

/** A parsed scrape: families, and samples looked up by sample name and exact label set. */
export class Scrape {
  constructor(readonly families: readonly MetricFamily[]) {}

  /** The family a sample name belongs to (`tasker_steps_claimed_total` → family `tasker_steps_claimed`). */
  family(sampleOrFamilyName: string): MetricFamily {
    const found =
      this.families.find((f) => f.name === sampleOrFamilyName) ??
      this.families.find((f) => f.samples.some((s) => s.name === sampleOrFamilyName)) ??
      this.families.find((f) => `${f.name}_total` === sampleOrFamilyName);
    if (found === undefined) throw new Error(`no metric family for ${sampleOrFamilyName} in the scrape`);
    return found;
  }

  has(sampleOrFamilyName: string): boolean {
    try {
      this.family(sampleOrFamilyName);
      return true;
    } catch {
      return false;
    }
  }

  /** The samples named `name` (every label set). */
  samples(name: string): Sample[] {
    return this.families.flatMap((f) => f.samples.filter((s) => s.name === name));
  }

  /** The sample named `name` whose labels are exactly `labels`. */
  sample(name: string, labels: Record<string, string> = {}): Sample | undefined {
    const wanted = key(labels);
    return this.samples(name).find((s) => key(s.labels) === wanted);
  }

  /** A sample's value; 0 when the series does not exist (as for a counter never incremented). */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.sample(name, labels)?.value ?? 0;
  }
}

function key(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
}

export async function parsePrometheusText(text: string): Promise<Scrape> {
  const dir = await ensurePrometheusClient();
  const out = await runPython(['-c', PARSE], text, { PYTHONPATH: dir });
  return new Scrape(JSON.parse(out) as MetricFamily[]);
}

/** The directory holding prometheus-client (a `pip --target` install), installed on first use. */
async function ensurePrometheusClient(): Promise<string> {
  const root = devDbCacheDir();
  const dir = join(root, `prometheus-client-${PROMETHEUS_CLIENT_VERSION}`);
  if (existsSync(join(dir, 'prometheus_client'))) return dir;
  await mkdir(root, { recursive: true });
  // Installed aside and renamed into place, so concurrent test files never see half an install.
  const staging = await mkdtemp(join(root, 'prometheus-client-staging-'));
  try {
    await runPython(
      [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--no-deps',
        '--target',
        staging,
        `prometheus-client==${PROMETHEUS_CLIENT_VERSION}`,
      ],
      '',
      {},
    );
    await rename(staging, dir).catch((error: NodeJS.ErrnoException) => {
      if (!existsSync(join(dir, 'prometheus_client'))) throw error; // another file won the race: fine
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return dir;
}

function runPython(args: string[], input: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', args, {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`python3 ${args.slice(0, 2).join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
    });
    child.stdin.end(input);
  });
}
