import { describe, expect, it } from 'vitest';
import { parsePrometheusText, type Scrape } from '../../../test/support/prometheus-text.js';
import { Throttled } from '../src/database-probe.js';
import { OVERFLOW_LABEL_VALUE } from '../src/label-bounds.js';
import { ERROR_TYPE_LABEL_LIMIT, WorkerMetrics } from '../src/metrics.js';

/** The exposition as a scraper reads it (a real Prometheus text parser, not string matching). */
async function scrape(metrics: WorkerMetrics): Promise<Scrape> {
  return parsePrometheusText(await metrics.render());
}

describe('WorkerMetrics (prom-client)', () => {
  it('exposes upstream metric names, types, labels and histogram buckets that a Prometheus parser reads', async () => {
    const m = new WorkerMetrics();
    m.stepsClaimed.inc({ namespace: 'p', claim_method: 'poll' });
    m.stepsClaimed.inc({ namespace: 'p', claim_method: 'poll' });
    m.stepsExecutions.inc({ namespace: 'p' });
    m.executionDuration.observe(12, { namespace: 'p', result: 'success' });
    m.resultsSubmitted.inc({ result_type: 'completion' });
    m.activeExecutions.add(1, { namespace: 'p' });
    m.activeExecutions.add(-1, { namespace: 'p' });

    const s = await scrape(m);
    expect(s.family('tasker_steps_claimed_total').type).toBe('counter');
    expect(s.value('tasker_steps_claimed_total', { namespace: 'p', claim_method: 'poll' })).toBe(2);
    expect(s.value('tasker_steps_executions_total', { namespace: 'p' })).toBe(1);
    expect(s.value('tasker_steps_results_submitted_total', { result_type: 'completion' })).toBe(1);
    expect(s.family('tasker_steps_active_executions').type).toBe('gauge');
    expect(s.value('tasker_steps_active_executions', { namespace: 'p' })).toBe(0);
    const series = { namespace: 'p', result: 'success' };
    const histogram = 'tasker_step_execution_duration_milliseconds';
    expect(s.family(histogram).type).toBe('histogram');
    expect(s.value(`${histogram}_count`, series)).toBe(1);
    expect(s.value(`${histogram}_sum`, series)).toBe(12);
    const bucket = (le: string) => s.sample(`${histogram}_bucket`, { ...series, le })?.value;
    expect([bucket('10'), bucket('25'), bucket('+Inf')]).toEqual([0, 1, 1]);
    // Every upstream worker metric is present (HELP/TYPE) even before its first sample.
    for (const name of [
      'tasker_steps_successes_total',
      'tasker_steps_failures_total',
      'tasker_step_claim_duration_milliseconds',
      'tasker_step_result_submission_duration_milliseconds',
      'tasker_bridge_messages_skipped_total',
      'tasker_bridge_steps_recovered_total',
      'tasker_bridge_domain_events_published_total',
      'tasker_bridge_lease_heartbeats_total',
      'tasker_bridge_leases_lost_total',
    ]) {
      expect(s.has(name), name).toBe(true);
    }
    // The synchronous reads callers and tests use.
    expect(m.stepsClaimed.get({ claim_method: 'poll', namespace: 'p' })).toBe(2);
    expect(m.executionDuration.count({ namespace: 'p', result: 'success' })).toBe(1);
  });

  it(`keeps error_type bounded: the worker's own types, then ${ERROR_TYPE_LABEL_LIMIT} custom ones, then "other"`, async () => {
    const m = new WorkerMetrics();
    for (let i = 0; i < ERROR_TYPE_LABEL_LIMIT + 20; i++) {
      m.stepsFailures.inc({ namespace: 'p', error_type: `custom_${i}` });
    }
    m.stepsFailures.inc({ namespace: 'p', error_type: 'handler_timeout' }); // core's own: always its own series
    m.stepsFailures.inc({ namespace: 'p', error_type: 'worker_lost' });
    m.stepsFailures.inc({ namespace: 'p', error_type: 'custom_0' }); // already kept
    m.stepsFailures.inc({ namespace: 'p', error_type: 'order 4711 declined: card ****1234' }); // not an identifier

    const s = await scrape(m);
    const types = s.samples('tasker_steps_failures_total').map((sample) => sample.labels.error_type);
    expect(types).toHaveLength(ERROR_TYPE_LABEL_LIMIT + 3);
    expect(types).toEqual(expect.arrayContaining(['handler_timeout', 'worker_lost', OVERFLOW_LABEL_VALUE]));
    expect(types).not.toContain(`custom_${ERROR_TYPE_LABEL_LIMIT}`);
    expect(s.value('tasker_steps_failures_total', { namespace: 'p', error_type: 'custom_0' })).toBe(2);
    expect(s.value('tasker_steps_failures_total', { namespace: 'p', error_type: OVERFLOW_LABEL_VALUE })).toBe(
      21,
    );
    expect(m.stepsFailures.get({ namespace: 'p', error_type: 'never seen before' })).toBe(21);
  });

  it('gives every worker its own registry, so two workers in one process do not collide', async () => {
    const a = new WorkerMetrics();
    const b = new WorkerMetrics();
    a.stepsExecutions.inc({ namespace: 'a' });
    expect((await scrape(a)).value('tasker_steps_executions_total', { namespace: 'a' })).toBe(1);
    expect((await scrape(b)).value('tasker_steps_executions_total', { namespace: 'a' })).toBe(0);
  });

  it('reads queue depths and leases held at scrape time, once per scrape, and leaves them out when the read fails', async () => {
    const m = new WorkerMetrics();
    let reads = 0;
    let fail = false;
    m.sampleFrom({
      leasesHeld: () => 3,
      queueDepths: async () => {
        reads += 1;
        if (fail) throw new Error('connection refused');
        return [
          { namespace: 'p', queue: 'worker_p_queue', length: 7, visible: 5, oldestAgeSeconds: 12 },
          { namespace: 'q', queue: 'worker_q_queue', length: 0, visible: 0, oldestAgeSeconds: null },
        ];
      },
    });
    const s = await scrape(m);
    expect(reads).toBe(1); // the three queue gauges share one read
    const p = { namespace: 'p', queue: 'worker_p_queue' };
    expect(s.value('tasker_health_queue_depth_current', p)).toBe(7);
    expect(s.value('tasker_bridge_queue_visible_messages', p)).toBe(5);
    expect(s.value('tasker_bridge_queue_oldest_message_age_seconds', p)).toBe(12);
    expect(s.value('tasker_health_queue_depth_current', { namespace: 'q', queue: 'worker_q_queue' })).toBe(0);
    expect(
      s.sample('tasker_bridge_queue_oldest_message_age_seconds', { namespace: 'q', queue: 'worker_q_queue' }),
    ).toBeUndefined();
    expect(s.value('tasker_bridge_leases_held')).toBe(3);

    fail = true;
    const failed = await scrape(m);
    expect(failed.samples('tasker_health_queue_depth_current')).toEqual([]);
    expect(failed.value('tasker_bridge_leases_held')).toBe(3);
  });
});

describe('Throttled (health reads)', () => {
  it('runs one read at a time and starts at most one per interval', async () => {
    let started = 0;
    let release: () => void = () => {};
    const throttled = new Throttled(1_000, () => {
      started += 1;
      return new Promise<number>((resolve) => {
        release = () => resolve(started);
      });
    });
    const first = [throttled.get(0), throttled.get(10), throttled.get(5_000)]; // the last is late, but one is in flight
    expect(started).toBe(1);
    release();
    expect(await Promise.all(first)).toEqual([1, 1, 1]);
    expect(await throttled.get(900)).toBe(1); // settled, within the interval: the same answer
    const next = throttled.get(1_000);
    expect(started).toBe(2);
    release();
    expect(await next).toBe(2);
  });
});
