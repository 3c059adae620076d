import { describe, expect, it } from 'vitest';
import { parseNotification } from '../src/intake.js';
import {
  listenStatement,
  namespaceProblem,
  namespaceQueues,
  notificationChannel,
  orchestrationQueues,
  queueNameProblem,
  queueNotificationChannel,
  stepQueueName,
} from '../src/queues.js';
import {
  claimMetadata,
  completionMetadata,
  naiveUtcNow,
  rfc3339Now,
  stringifySorted,
} from '../src/transition-metadata.js';
import { uuidv7 } from '../src/uuid.js';

describe('transition metadata (docs/protocol.md §4.3, §4.6)', () => {
  it('claim: event is the serde string of StepEvent::Start, timestamp is to_rfc3339()', () => {
    const m = claimMetadata(() => '2026-03-01T12:00:00.123456789+00:00');
    expect(JSON.stringify(m)).toBe(
      '{"event":"{\\"type\\":\\"Start\\"}","timestamp":"2026-03-01T12:00:00.123456789+00:00"}',
    );
    expect(rfc3339Now()).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.(\d{3}|\d{6}|\d{9}))?\+00:00$/);
  });

  it('completion: type then data, data keys sorted at every level like serde_json::Value', () => {
    const result = {
      step_uuid: 's',
      success: false,
      result: { z: 1, a: { y: [{ b: 1, a: 2 }], x: null } },
      metadata: { retryable: true, execution_time_ms: 5 },
      status: 'failed',
      error: { message: 'm', retryable: true },
      orchestration_metadata: null,
    } as never;
    const m = completionMetadata(result, 'w', 'c', () => 't');
    expect(m.event).toBe(
      '{"type":"EnqueueAsErrorForOrchestration","data":{"error":{"message":"m","retryable":true},"metadata":{"execution_time_ms":5,"retryable":true},"orchestration_metadata":null,"result":{"a":{"x":null,"y":[{"a":2,"b":1}]},"z":1},"status":"failed","step_uuid":"s","success":false}}',
    );
    expect(m).toMatchObject({ timestamp: 't', worker_uuid: 'w', correlation_id: 'c' });
  });

  it('stringifySorted writes bigint as an integer and drops undefined members', () => {
    expect(stringifySorted({ b: 2n ** 64n, a: undefined, c: [undefined] })).toBe(
      '{"b":18446744073709551616,"c":[null]}',
    );
  });

  it('stringifySorted keeps a __proto__ key and writes an integral f64 beyond 2^53 as serde_json does', () => {
    const value = JSON.parse('{"z":1,"__proto__":{"id":1}}') as Record<string, unknown>;
    value.f = 2 ** 60;
    expect(stringifySorted(value)).toBe('{"__proto__":{"id":1},"f":1152921504606847000.0,"z":1}');
  });

  it("completion metadata sorts the result's keys in Rust's order (UTF-8 bytes) at every level", () => {
    const result = { step_uuid: 's', success: true, result: { '\u{1F600}': 1, '\uFF21': { b: 1, a: 2 } } };
    const m = completionMetadata(result as never, 'w', 'c', () => 't');
    expect(m.event).toContain('"result":{"\uFF21":{"a":2,"b":1},"\u{1F600}":1}');
  });

  it('last_attempted_at is naive UTC', () => {
    expect(naiveUtcNow(new Date('2026-03-01T12:00:00.123Z'))).toBe('2026-03-01 12:00:00.123');
  });

  it('worker uuids are UUIDv7', () => {
    expect(uuidv7()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const t = Date.UTC(2026, 0, 1);
    expect(uuidv7(t).replaceAll('-', '').slice(0, 12)).toBe(t.toString(16).padStart(12, '0'));
  });
});

describe('notification payloads (§3.1)', () => {
  it('message_with_payload carries the message', () => {
    const payload =
      '{"event_type" : "message_with_payload", "msg_id" : 1, "queue_name" : "worker_payments_queue", "namespace" : "payments", "message" : {"step_uuid": "s", "task_uuid": "t", "correlation_id": "c"}, "ready_at" : "2026-11-22T22:36:15.027408+00:00", "delay_seconds" : 0}';
    expect(parseNotification(payload)).toEqual({
      kind: 'payload',
      queue: 'worker_payments_queue',
      namespace: 'payments',
      msgId: '1',
      message: { step_uuid: 's', task_uuid: 't', correlation_id: 'c' },
    });
  });

  it('a msg_id beyond 2^53 and big integers in the message stay exact', () => {
    const payload =
      '{"event_type":"message_with_payload","msg_id":9007199254740993,"queue_name":"worker_p_queue","namespace":"p","message":{"n":18446744073709551615}}';
    expect(parseNotification(payload)).toMatchObject({
      kind: 'payload',
      msgId: '9007199254740993',
      message: { n: 18446744073709551615n },
    });
    expect(
      parseNotification(
        '{"event_type":"batch_ready","msg_ids":[9007199254740995],"queue_name":"worker_p_queue"}',
      ),
    ).toMatchObject({ kind: 'signal', msgId: '9007199254740995' });
  });

  it('message_ready and batch_ready are signals to fetch by id', () => {
    expect(
      parseNotification(
        '{"event_type":"message_ready","msg_id":2,"queue_name":"worker_p_queue","namespace":"p","payload_omitted":true}',
      ),
    ).toMatchObject({ kind: 'signal', msgId: '2' });
    expect(
      parseNotification('{"event_type":"batch_ready","msg_ids":[7,8],"queue_name":"worker_p_queue"}'),
    ).toMatchObject({
      kind: 'signal',
      msgId: '7',
    });
  });

  it('anything else is ignored, never thrown', () => {
    for (const p of [
      undefined,
      '',
      'not json',
      '42',
      '{"event_type":"queue_created","queue_name":"q"}',
      '{"event_type":"message_ready"}',
    ]) {
      expect(parseNotification(p).kind).toBe('ignored');
    }
  });
});

describe('queue and channel names (§1.1, §3.1)', () => {
  it('builds upstream names and quotes LISTEN identifiers', () => {
    expect(stepQueueName('payments')).toBe('worker_payments_queue');
    expect(notificationChannel('Pay_ments')).toBe('pgmq_message_ready.Pay_ments');
    expect(listenStatement('pgmq_message_ready.Pay_ments')).toBe('LISTEN "pgmq_message_ready.Pay_ments"');
  });

  it('configured names (upstream [common.queues]) and the channel tasker notifies for each queue', () => {
    expect(stepQueueName('billing', 'acme')).toBe('acme_billing_queue');
    expect(namespaceQueues('billing', { workerNamespace: 'acme', stepResults: 'acme_results' })).toEqual([
      'acme_billing_queue',
      'billing_domain_events',
      'billing_domain_events_dlq',
    ]);
    expect(orchestrationQueues({ workerNamespace: 'worker', stepResults: 'acme_results' })).toEqual([
      'orchestration_task_requests',
      'orchestration_task_finalizations',
      'acme_results',
    ]);
    expect(queueNotificationChannel('worker_Pay_ments_queue')).toBe(notificationChannel('Pay_ments'));
    expect(queueNotificationChannel('acme_billing_queue')).toBe('pgmq_message_ready.acme_billing');
    expect(queueNotificationChannel('orchestration_step_results')).toBe('pgmq_message_ready.orchestration');
    expect(queueNotificationChannel('worker__queue')).toBe('pgmq_message_ready.worker');
    expect(queueNotificationChannel('_x_queue')).toBe('pgmq_message_ready.default');
  });

  it('validates queue names like upstream validate_queue_name', () => {
    expect(queueNameProblem('orchestration_step_results')).toBeNull();
    expect(queueNameProblem('_private')).toBeNull();
    expect(queueNameProblem('')).toBe('is empty');
    expect(queueNameProblem('q'.repeat(48))).toMatch(/47/);
    expect(queueNameProblem('has-dash')).not.toBeNull();
    expect(queueNameProblem('9lives')).not.toBeNull();
  });

  it('rejects namespaces that cannot form valid queue names', () => {
    expect(namespaceProblem('payments')).toBeNull();
    expect(namespaceProblem('a'.repeat(30))).toMatch(/29/);
    expect(namespaceProblem('has-dash')).not.toBeNull();
    expect(namespaceProblem('9lives')).not.toBeNull();
  });
});
