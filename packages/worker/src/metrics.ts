import { ErrorType, SystemErrorType } from '@tasker-bridge/core';
import {
  Counter as PromCounter,
  Gauge as PromGauge,
  Histogram as PromHistogram,
  Registry,
} from 'prom-client';
import { SkipReason } from './hydrate.js';
import { BoundedLabelValues } from './label-bounds.js';

/**
 * The worker's Prometheus metrics, with upstream's worker metric names (tasker-core
 * `docs/observability/metrics-reference.md`, "Worker Metrics"; OpenTelemetry names with dots become underscores,
 * histograms in ms get the `_milliseconds` suffix, as upstream's exporter writes them), so existing dashboards
 * keep working, plus `tasker_bridge_*` for what only this worker has (leases, skipped messages).
 *
 * Built on prom-client rather than OpenTelemetry metrics with a Prometheus exporter: prom-client is the Node
 * ecosystem's Prometheus client (exposition format, escaping, histogram buckets, registries users can merge into
 * their own), recording is synchronous and allocation-light on the per-step path, and it keeps the
 * OpenTelemetry SDK out of the worker's required dependencies (`@opentelemetry/api` stays an optional peer,
 * README "Tracing"). The OpenTelemetry exporter would also rewrite names by its own unit and suffix rules.
 *
 * Every `WorkerMetrics` has its own `Registry` (several workers in one process never collide); serve it with the
 * health server's `/metrics` or merge it into yours (`Registry.merge([worker.metrics.registry, register])`).
 *
 * Labels differ from upstream in one deliberate way: no `correlation_id` label (one time series per task is
 * unbounded cardinality for Prometheus); `namespace` is used instead where upstream had only correlation_id. Label
 * values are bounded: namespaces are the served ones, every other label is a fixed vocabulary, and a handler's
 * free-form `error_type` is capped (`label-bounds.ts`).
 */

type Labels = Readonly<Record<string, string>>;

/** Custom `error_type`s that keep their own series; later ones are counted as `other`. */
export const ERROR_TYPE_LABEL_LIMIT = 32;

/** Every `error_type` the worker and core write themselves: always their own series. */
const KNOWN_ERROR_TYPES = [
  ...Object.values(ErrorType),
  ...Object.values(SystemErrorType),
  ...Object.values(SkipReason),
  'worker_lost',
  'checkpoint_error',
  'result_not_storable',
  'unknown',
];

const DEFAULT_MS_BUCKETS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000];

interface MetricSpec {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly string[];
  /** Labels whose values are bounded (`label-bounds.ts`). */
  readonly bounded?: Readonly<Record<string, BoundedLabelValues>>;
}

/**
 * Label sets with bounded values applied, and a key for the values kept for `get()` (prom-client reads values
 * asynchronously only; callers and tests read counts synchronously).
 */
class LabelSets {
  readonly #bounded: Readonly<Record<string, BoundedLabelValues>> | undefined;
  constructor(bounded: Readonly<Record<string, BoundedLabelValues>> | undefined) {
    this.#bounded = bounded;
  }

  apply(labels: Labels): Labels {
    const bounded = this.#bounded;
    if (bounded === undefined) return labels;
    let out: Record<string, string> | undefined;
    for (const [name, values] of Object.entries(bounded)) {
      const value = labels[name];
      if (value === undefined) continue;
      const kept = values.bound(value);
      if (kept !== value) {
        out ??= { ...labels };
        out[name] = kept;
      }
    }
    return out ?? labels;
  }
}

function labelKey(labels: Labels): string {
  // Called several times per step; most label sets have one or two keys.
  const keys = Object.keys(labels);
  if (keys.length === 1) return `${keys[0]}=${labels[keys[0] as string]}`;
  return keys
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join('\u0000');
}

export class Counter {
  readonly name: string;
  readonly #metric: PromCounter;
  readonly #labels: LabelSets;
  readonly #values = new Map<string, number>();

  constructor(registry: Registry, spec: MetricSpec) {
    this.name = spec.name;
    this.#labels = new LabelSets(spec.bounded);
    this.#metric = new PromCounter({
      name: spec.name,
      help: spec.help,
      labelNames: spec.labelNames ?? [],
      registers: [registry],
    });
  }

  inc(labels: Labels = {}, by = 1): void {
    const kept = this.#labels.apply(labels);
    this.#metric.inc(kept, by);
    const key = labelKey(kept);
    this.#values.set(key, (this.#values.get(key) ?? 0) + by);
  }

  get(labels: Labels = {}): number {
    return this.#values.get(labelKey(this.#labels.apply(labels))) ?? 0;
  }
}

export class Gauge {
  readonly name: string;
  readonly #metric: PromGauge;
  readonly #values = new Map<string, number>();

  constructor(registry: Registry, spec: MetricSpec & { collect?: (gauge: Gauge) => void | Promise<void> }) {
    this.name = spec.name;
    const collect = spec.collect;
    this.#metric = new PromGauge({
      name: spec.name,
      help: spec.help,
      labelNames: spec.labelNames ?? [],
      registers: [registry],
      ...(collect === undefined ? {} : { collect: () => collect(this) }),
    });
  }

  set(value: number, labels: Labels = {}): void {
    this.#metric.set(labels, value);
    this.#values.set(labelKey(labels), value);
  }

  add(delta: number, labels: Labels = {}): void {
    this.#metric.inc(labels, delta);
    const key = labelKey(labels);
    this.#values.set(key, (this.#values.get(key) ?? 0) + delta);
  }

  get(labels: Labels = {}): number {
    return this.#values.get(labelKey(labels)) ?? 0;
  }

  /** Drops every series (before a collect sets the current ones). */
  reset(): void {
    this.#metric.reset();
    this.#values.clear();
  }
}

export class Histogram {
  readonly name: string;
  readonly buckets: readonly number[];
  readonly #metric: PromHistogram;
  readonly #counts = new Map<string, number>();

  constructor(registry: Registry, spec: MetricSpec & { buckets?: readonly number[] }) {
    this.name = spec.name;
    this.buckets = spec.buckets ?? DEFAULT_MS_BUCKETS;
    this.#metric = new PromHistogram({
      name: spec.name,
      help: spec.help,
      labelNames: spec.labelNames ?? [],
      buckets: [...this.buckets],
      registers: [registry],
    });
  }

  observe(value: number, labels: Labels = {}): void {
    this.#metric.observe(labels, value);
    const key = labelKey(labels);
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  count(labels: Labels = {}): number {
    return this.#counts.get(labelKey(labels)) ?? 0;
  }
}

/** One queue's figures, as `pgmq.metrics` reports them. */
export interface QueueDepth {
  namespace: string;
  queue: string;
  /** Messages in the queue, leased (in flight) or not. */
  length: number;
  /** Messages whose visibility timeout has passed: waiting for a worker. */
  visible: number;
  /** Age of the oldest message, seconds; null for an empty queue. */
  oldestAgeSeconds: number | null;
}

/** What the worker's scrape-time figures are read from (set by the worker once it runs). */
export interface MetricSources {
  /** Step messages whose lease this worker holds now. */
  leasesHeld(): number;
  /** The served step queues' depths; cached by the caller (at most one database read per second). */
  queueDepths(): Promise<readonly QueueDepth[]>;
}

/** The worker's metrics; names are upstream's (see module comment). */
export class WorkerMetrics {
  /** Every metric of this worker, in the exposition order. */
  readonly registry = new Registry();
  #sources: MetricSources | null = null;
  /** The queue read of the scrape in progress, shared by the three gauges it sets. */
  #queueSample: Promise<void> | null = null;

  /** `tasker.steps.executions.total`: step executions attempted (after a successful claim). */
  readonly stepsExecutions = new Counter(this.registry, {
    name: 'tasker_steps_executions_total',
    help: 'Total number of step executions attempted',
    labelNames: ['namespace'],
  });
  /** `tasker.steps.successes.total`. */
  readonly stepsSuccesses = new Counter(this.registry, {
    name: 'tasker_steps_successes_total',
    help: 'Total number of step executions that completed successfully',
    labelNames: ['namespace'],
  });
  /** `tasker.steps.failures.total` with `error_type` (bounded: `ERROR_TYPE_LABEL_LIMIT` custom types, then `other`). */
  readonly stepsFailures = new Counter(this.registry, {
    name: 'tasker_steps_failures_total',
    help: 'Total number of step executions that failed',
    labelNames: ['namespace', 'error_type'],
    bounded: { error_type: new BoundedLabelValues(KNOWN_ERROR_TYPES, ERROR_TYPE_LABEL_LIMIT) },
  });
  /** `tasker.steps.claimed.total` with `claim_method` = `event` | `poll`. */
  readonly stepsClaimed = new Counter(this.registry, {
    name: 'tasker_steps_claimed_total',
    help: 'Total number of steps claimed from queues',
    labelNames: ['namespace', 'claim_method'],
  });
  /** `tasker.steps.results_submitted.total` with `result_type` = `completion`. */
  readonly resultsSubmitted = new Counter(this.registry, {
    name: 'tasker_steps_results_submitted_total',
    help: 'Total number of step results submitted to orchestration',
    labelNames: ['result_type'],
  });
  /** `tasker.step.execution.duration` (ms) with `result` = `success` | `error`. */
  readonly executionDuration = new Histogram(this.registry, {
    name: 'tasker_step_execution_duration_milliseconds',
    help: 'Step execution duration in milliseconds',
    labelNames: ['namespace', 'result'],
  });
  /** `tasker.step.claim.duration` (ms). */
  readonly claimDuration = new Histogram(this.registry, {
    name: 'tasker_step_claim_duration_milliseconds',
    help: 'Step claiming duration in milliseconds',
    labelNames: ['namespace', 'claim_method'],
  });
  /** `tasker.step_result.submission.duration` (ms). */
  readonly submissionDuration = new Histogram(this.registry, {
    name: 'tasker_step_result_submission_duration_milliseconds',
    help: 'Step result submission duration in milliseconds',
    labelNames: ['result_type'],
  });
  /** `tasker.steps.active_executions` (defined upstream, not instrumented there; instrumented here). */
  readonly activeExecutions = new Gauge(this.registry, {
    name: 'tasker_steps_active_executions',
    help: 'Number of steps currently being executed',
    labelNames: ['namespace'],
  });
  /**
   * `tasker.health.queue_depth.current` with `queue` (upstream's orchestration health metric), for this worker's
   * step queues, plus `namespace`. Read from the database at scrape time, at most once per second.
   */
  readonly queueDepth = new Gauge(this.registry, {
    name: 'tasker_health_queue_depth_current',
    help: 'Current message count in monitored queue',
    labelNames: ['namespace', 'queue'],
    collect: () => this.#sampleQueues(),
  });
  /** Messages of a step queue that are visible (waiting for a worker), read with `queueDepth`. */
  readonly queueVisible = new Gauge(this.registry, {
    name: 'tasker_bridge_queue_visible_messages',
    help: 'Messages in a step queue whose visibility timeout has passed (waiting for a worker)',
    labelNames: ['namespace', 'queue'],
    collect: () => this.#sampleQueues(),
  });
  /** Age of a step queue's oldest message, read with `queueDepth`. */
  readonly queueOldestAge = new Gauge(this.registry, {
    name: 'tasker_bridge_queue_oldest_message_age_seconds',
    help: 'Age of the oldest message in a step queue, in seconds',
    labelNames: ['namespace', 'queue'],
    collect: () => this.#sampleQueues(),
  });
  /** Step messages whose lease (visibility timeout) this worker holds and renews (README "Leases"). */
  readonly leasesHeld = new Gauge(this.registry, {
    name: 'tasker_bridge_leases_held',
    help: 'Step messages whose lease this worker holds (claims in flight)',
    collect: (gauge) => {
      if (this.#sources !== null) gauge.set(this.#sources.leasesHeld());
    },
  });
  /** Lease heartbeat statements (one per queue per beat), by `result` = `ok` | `failed`. */
  readonly leaseHeartbeats = new Counter(this.registry, {
    name: 'tasker_bridge_lease_heartbeats_total',
    help: 'Lease heartbeat statements sent (one per queue per beat), by result',
    labelNames: ['result'],
  });
  /** Duration of one lease heartbeat statement. */
  readonly leaseHeartbeatDuration = new Histogram(this.registry, {
    name: 'tasker_bridge_lease_heartbeat_duration_milliseconds',
    help: 'Duration of one lease heartbeat statement in milliseconds',
  });
  /** Leases found lost at a heartbeat: another worker recovered the claim; the handler is cancelled. */
  readonly leasesLost = new Counter(this.registry, {
    name: 'tasker_bridge_leases_lost_total',
    help: 'Leases this worker found lost at a heartbeat (another worker recovered the claim)',
  });
  /** Messages archived without a claim, by reason (worker-specific; no upstream equivalent). */
  readonly messagesSkipped = new Counter(this.registry, {
    name: 'tasker_bridge_messages_skipped_total',
    help: 'Queue messages archived without claiming a step, by reason',
    labelNames: ['namespace', 'reason'],
  });
  /** Claims recovered after their lease lapsed, by kind (`worker_lost`, `result_resent`; README "Leases"). */
  readonly stepsRecovered = new Counter(this.registry, {
    name: 'tasker_bridge_steps_recovered_total',
    help: 'Steps whose owner stopped renewing its lease, recovered by this worker',
    labelNames: ['namespace', 'kind'],
  });
  /** Domain events published (worker-specific). */
  readonly domainEventsPublished = new Counter(this.registry, {
    name: 'tasker_bridge_domain_events_published_total',
    help: 'Domain events sent to {namespace}_domain_events',
    labelNames: ['namespace'],
  });

  /** Where the scrape-time figures come from; until set, they are absent from the exposition. */
  sampleFrom(sources: MetricSources | null): void {
    this.#sources = sources;
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** `Content-Type` of `render()`'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** prom-client collects every metric of a scrape at once: the first of the three queue gauges reads, all wait. */
  #sampleQueues(): Promise<void> {
    this.#queueSample ??= this.#collectQueues().finally(() => {
      this.#queueSample = null;
    });
    return this.#queueSample;
  }

  async #collectQueues(): Promise<void> {
    if (this.#sources === null) return;
    let depths: readonly QueueDepth[];
    try {
      depths = await this.#sources.queueDepths();
    } catch {
      // The database did not answer: the figures are absent from this scrape (readiness says why).
      depths = [];
    }
    for (const gauge of [this.queueDepth, this.queueVisible, this.queueOldestAge]) gauge.reset();
    for (const d of depths) {
      const labels = { namespace: d.namespace, queue: d.queue };
      this.queueDepth.set(d.length, labels);
      this.queueVisible.set(d.visible, labels);
      if (d.oldestAgeSeconds !== null) this.queueOldestAge.set(d.oldestAgeSeconds, labels);
    }
  }
}
