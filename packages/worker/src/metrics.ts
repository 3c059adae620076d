/**
 * Prometheus text-format metrics with upstream's worker metric names (tasker-core
 * `docs/observability/metrics-reference.md`, "Worker Metrics"; OpenTelemetry names with dots become
 * underscores, histograms in ms get the `_milliseconds` suffix, as upstream's exporter writes them), so existing
 * dashboards keep working. Written by hand: no dependency.
 *
 * Labels differ from upstream in one deliberate way: no `correlation_id` label (one time series per task is
 * unbounded cardinality for Prometheus); `namespace` is used instead where upstream had only correlation_id.
 */

type Labels = Readonly<Record<string, string>>;

function labelKey(labels: Labels): string {
  // Called several times per step; most label sets have a single key, which needs no sort.
  const keys = Object.keys(labels);
  if (keys.length === 1) return `${keys[0]}=${labels[keys[0] as string]}`;
  return keys
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join('\u0000');
}

function renderLabels(labels: Labels, extra?: [string, string]): string {
  const entries = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1));
  if (extra) entries.push(extra);
  if (entries.length === 0) return '';
  const escapeValue = (v: string) =>
    v.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('"', '\\"');
  return `{${entries.map(([k, v]) => `${k}="${escapeValue(v)}"`).join(',')}}`;
}

function formatNumber(n: number): string {
  if (n === Number.POSITIVE_INFINITY) return '+Inf';
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(15)));
}

interface Metric {
  render(): string;
}

export class Counter implements Metric {
  readonly #values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    const entry = this.#values.get(key);
    if (entry) entry.value += by;
    else this.#values.set(key, { labels: { ...labels }, value: by });
  }

  get(labels: Labels = {}): number {
    return this.#values.get(labelKey(labels))?.value ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.#values.values()) {
      lines.push(`${this.name}${renderLabels(labels)} ${formatNumber(value)}`);
    }
    return lines.join('\n');
  }
}

export class Gauge implements Metric {
  readonly #values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  set(value: number, labels: Labels = {}): void {
    this.#values.set(labelKey(labels), { labels: { ...labels }, value });
  }

  add(delta: number, labels: Labels = {}): void {
    const key = labelKey(labels);
    const entry = this.#values.get(key);
    if (entry) entry.value += delta;
    else this.#values.set(key, { labels: { ...labels }, value: delta });
  }

  get(labels: Labels = {}): number {
    return this.#values.get(labelKey(labels))?.value ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    for (const { labels, value } of this.#values.values()) {
      lines.push(`${this.name}${renderLabels(labels)} ${formatNumber(value)}`);
    }
    return lines.join('\n');
  }
}

const DEFAULT_MS_BUCKETS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000];

export class Histogram implements Metric {
  readonly #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[] = DEFAULT_MS_BUCKETS,
  ) {}

  observe(value: number, labels: Labels = {}): void {
    const key = labelKey(labels);
    let series = this.#series.get(key);
    if (!series) {
      series = { labels: { ...labels }, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    const counts = series.counts;
    this.buckets.forEach((bound, i) => {
      if (value <= bound) counts[i] = (counts[i] ?? 0) + 1;
    });
    series.sum += value;
    series.count += 1;
  }

  count(labels: Labels = {}): number {
    return this.#series.get(labelKey(labels))?.count ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, counts, sum, count } of this.#series.values()) {
      this.buckets.forEach((bound, i) => {
        lines.push(
          `${this.name}_bucket${renderLabels(labels, ['le', formatNumber(bound)])} ${counts[i] ?? 0}`,
        );
      });
      lines.push(`${this.name}_bucket${renderLabels(labels, ['le', '+Inf'])} ${count}`);
      lines.push(`${this.name}_sum${renderLabels(labels)} ${formatNumber(sum)}`);
      lines.push(`${this.name}_count${renderLabels(labels)} ${count}`);
    }
    return lines.join('\n');
  }
}

/** The worker's metrics; names are upstream's (see module comment). */
export class WorkerMetrics {
  /** `tasker.steps.executions.total`: step executions attempted (after a successful claim). */
  readonly stepsExecutions = new Counter(
    'tasker_steps_executions_total',
    'Total number of step executions attempted',
  );
  /** `tasker.steps.successes.total`. */
  readonly stepsSuccesses = new Counter(
    'tasker_steps_successes_total',
    'Total number of step executions that completed successfully',
  );
  /** `tasker.steps.failures.total` with `error_type`. */
  readonly stepsFailures = new Counter(
    'tasker_steps_failures_total',
    'Total number of step executions that failed',
  );
  /** `tasker.steps.claimed.total` with `claim_method` = `event` | `poll`. */
  readonly stepsClaimed = new Counter(
    'tasker_steps_claimed_total',
    'Total number of steps claimed from queues',
  );
  /** `tasker.steps.results_submitted.total` with `result_type` = `completion`. */
  readonly resultsSubmitted = new Counter(
    'tasker_steps_results_submitted_total',
    'Total number of step results submitted to orchestration',
  );
  /** `tasker.step.execution.duration` (ms) with `result` = `success` | `error`. */
  readonly executionDuration = new Histogram(
    'tasker_step_execution_duration_milliseconds',
    'Step execution duration in milliseconds',
  );
  /** `tasker.step.claim.duration` (ms). */
  readonly claimDuration = new Histogram(
    'tasker_step_claim_duration_milliseconds',
    'Step claiming duration in milliseconds',
  );
  /** `tasker.step_result.submission.duration` (ms). */
  readonly submissionDuration = new Histogram(
    'tasker_step_result_submission_duration_milliseconds',
    'Step result submission duration in milliseconds',
  );
  /** `tasker.steps.active_executions` (defined upstream, not instrumented there; instrumented here). */
  readonly activeExecutions = new Gauge(
    'tasker_steps_active_executions',
    'Number of steps currently being executed',
  );
  /** Messages archived without a claim, by reason (worker-specific; no upstream equivalent). */
  readonly messagesSkipped = new Counter(
    'tasker_bridge_messages_skipped_total',
    'Queue messages archived without claiming a step, by reason',
  );
  /** Claims recovered after their lease lapsed, by kind (`worker_lost`, `result_resent`; README "Leases"). */
  readonly stepsRecovered = new Counter(
    'tasker_bridge_steps_recovered_total',
    'Steps whose owner stopped renewing its lease, recovered by this worker',
  );
  /** Domain events published (worker-specific). */
  readonly domainEventsPublished = new Counter(
    'tasker_bridge_domain_events_published_total',
    'Domain events sent to {namespace}_domain_events',
  );

  render(): string {
    return `${[
      this.stepsExecutions,
      this.stepsSuccesses,
      this.stepsFailures,
      this.stepsClaimed,
      this.resultsSubmitted,
      this.executionDuration,
      this.claimDuration,
      this.submissionDuration,
      this.activeExecutions,
      this.messagesSkipped,
      this.stepsRecovered,
      this.domainEventsPublished,
    ]
      .map((m) => m.render())
      .join('\n')}\n`;
  }
}
