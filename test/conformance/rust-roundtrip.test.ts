// TS → Rust: our encoders' output is decoded by the real tasker-shared 0.1.8 types and re-encoded. The JSON
// must decode to the same value; the MessagePack must come back byte for byte. Then the negative proof:
// deliberately wrong encodings must be rejected by Rust (and by our validators), so this check can fail.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeJson,
  decodeMsgpack,
  encodeJson,
  encodeMsgpack,
  formatNaiveTimestamp,
  formatUtcTimestamp,
  type StepExecutionResult,
  validate,
  type WireTypeName,
} from '@tasker-bridge/schemas';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseJsonText } from '../../packages/schemas/src/json-text.js';
import { buildConformanceBinary, cursorVectorsFile, runConformance, vectorsDir } from './scripts/cargo.mjs';
import { hasUnorderedMap, loadVectors, toHex, type VectorFile } from './support.js';

interface CheckCase {
  type: WireTypeName;
  name: string;
  json?: string;
  msgpack_hex?: string;
}

interface CheckResult {
  type: string;
  name: string;
  json?: { ok: boolean; reencoded?: string; error?: string };
  msgpack?: { ok: boolean; reencoded_hex?: string; error?: string };
  same_value?: boolean;
}

let binary: string;

beforeAll(() => {
  // Builds from a clean clone too (minutes cold; ~/.cargo and the cache target dir make it seconds warm).
  binary = buildConformanceBinary().binary;
});

function rustCheck(cases: CheckCase[]): { value_objects_sorted: boolean; results: CheckResult[] } {
  const dir = mkdtempSync(join(tmpdir(), 'tasker-conformance-'));
  writeFileSync(join(dir, 'request.json'), JSON.stringify({ cases }));
  runConformance(binary, ['check', join(dir, 'request.json'), join(dir, 'report.json')]);
  return JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
}

const STEP = '0195b7a2-1c40-7a11-9b22-3c4d5e6f7a81';

/**
 * Values only TS produces: dates from JS, bigint, string lengths around rmp's str8/str16 boundaries, parsed data
 * with a `__proto__` key.
 */
function tsAuthoredResults(): StepExecutionResult[] {
  const base = (): StepExecutionResult => ({
    step_uuid: STEP,
    success: true,
    result: {},
    metadata: {
      execution_time_ms: 0,
      handler_version: null,
      retryable: false,
      completed_at: formatUtcTimestamp(new Date(Date.UTC(2026, 2, 21, 12, 0, 1, 0))),
      worker_id: null,
      worker_hostname: null,
      started_at: formatUtcTimestamp(new Date(Date.UTC(2026, 2, 21, 12, 0, 0, 7))),
      custom: {},
      error_code: null,
      error_type: null,
      context: {},
    },
    status: 'completed',
    error: null,
    orchestration_metadata: null,
  });
  const strings = [0, 31, 32, 255, 256, 65_535, 65_536].map((n) => 'x'.repeat(n));
  return [
    { ...base(), result: { strings } },
    {
      ...base(),
      result: {
        ints: [
          0,
          127,
          128,
          255,
          256,
          65_535,
          65_536,
          2 ** 32 - 1,
          2 ** 32,
          2 ** 53 - 1,
          -1,
          -32,
          -33,
          -128,
          -129,
          -32_768,
          -32_769,
          -(2 ** 31),
          -(2 ** 31) - 1,
          -(2 ** 53) + 1,
        ],
      },
    },
    {
      ...base(),
      result: {
        big: [2n ** 63n, 2n ** 64n - 1n, -(2n ** 63n), 2n ** 53n],
        floats: [0.1, -2.5, 1e300, 5e-324],
      },
    },
    {
      ...base(),
      metadata: {
        ...base().metadata,
        execution_time_ms: 2n ** 63n - 1n,
        started_at: '2026-03-21T14:00:00.5+02:00',
      },
    },
    { ...base(), result: { unicode: ['日本語', '🚀'.repeat(20), 'e\u0301', '\u0000\u001f"\\'] } },
    // Data as the worker reads it from a jsonb column (parseJsonText): bigints and a `__proto__` data key.
    {
      ...base(),
      result: parseJsonText(
        '{"__proto__":{"id":9007199254740993},"constructor":null,' +
          '"nested":[{"ids":[18446744073709551615,-9223372036854775808,-9007199254740993]}]}',
      ),
    },
  ];
}

describe('TS → Rust', () => {
  it('Rust decodes every encoding we produce and re-encodes the same value and the same bytes', () => {
    const values: { type: WireTypeName; name: string; value: unknown }[] = [];
    const vectors = loadVectors();
    const jsonOnly = new Set(
      vectors.filter((f) => f.cases.some((c) => c.msgpack_hex === undefined)).map((f) => f.type),
    );
    for (const file of vectors.filter((f) => f.decoded_by_rust !== false)) {
      for (const c of file.cases)
        values.push({ type: file.type, name: c.name, value: decodeJson(file.type, c.json) });
    }
    for (const [i, value] of tsAuthoredResults().entries()) {
      values.push({ type: 'StepExecutionResult', name: `ts_authored_${i}`, value });
    }
    values.push({
      type: 'Task',
      name: 'ts_naive_timestamps',
      value: {
        ...decodeJson('Task', loadVectors().find((f) => f.type === 'Task')!.cases[0]!.json),
        created_at: formatNaiveTimestamp(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 60))),
      },
    });

    const cases: CheckCase[] = values.map(({ type, name, value }) => ({
      type,
      name,
      json: encodeJson(type, value as never),
      ...(jsonOnly.has(type) ? {} : { msgpack_hex: toHex(encodeMsgpack(type, value as never)) }),
    }));
    const report = rustCheck(cases);
    // One result per case, in order: a case Rust skipped or dropped must not pass unchecked.
    expect(report.results.map((r) => `${r.type}/${r.name}`)).toEqual(cases.map((c) => `${c.type}/${c.name}`));
    // serde_json without preserve_order: Value objects are key-sorted, which our encoders reproduce.
    expect(report.value_objects_sorted).toBe(true);

    const failures: string[] = [];
    for (const [i, r] of report.results.entries()) {
      const sent = cases[i]!;
      const { type, value } = values[i]!;
      const label = `${type}/${sent.name}`;
      if (!r.json?.ok) {
        failures.push(`${label}: Rust rejected our JSON: ${r.json?.error}`);
        continue;
      }
      expect(parseJsonText(r.json.reencoded!), label).toEqual(parseJsonText(sent.json!));
      if (sent.msgpack_hex === undefined) continue;
      if (!r.msgpack?.ok) {
        failures.push(`${label}: Rust rejected our MessagePack: ${r.msgpack?.error}`);
        continue;
      }
      if (r.same_value !== true)
        failures.push(`${label}: JSON and MessagePack decoded to different Rust values`);
      if (hasUnorderedMap(type, value)) {
        expect(decodeMsgpack(type, Buffer.from(r.msgpack.reencoded_hex!, 'hex')), label).toEqual(
          decodeMsgpack(type, Buffer.from(sent.msgpack_hex!, 'hex')),
        );
      } else {
        expect(r.msgpack.reencoded_hex, label).toBe(sent.msgpack_hex);
      }
    }
    expect(failures).toEqual([]);
  });
});

// Deliberately wrong encodings. Each must be rejected by Rust *and* by our decoder: if Rust ever accepted one,
// the premise of the matching validator rule would be wrong and this test says so.
const result = (patch: string): string =>
  `{"step_uuid":"${STEP}","success":true,"result":{},"status":"completed",${patch}}`;
const meta =
  '"metadata":{"execution_time_ms":42,"retryable":false,"completed_at":"2026-03-21T12:00:01.250Z"}';

// `jsCannotSee`: JS numbers do not keep 12.0 apart from 12, so our decoders read these as integers; our
// encoders can never write them (they write smallest-encoding integers), which is what matters.
const NEGATIVE: (CheckCase & { rustError: RegExp; jsCannotSee?: true })[] = [
  {
    type: 'StepExecutionResult',
    name: 'float_for_i64',
    jsCannotSee: true,
    rustError: /invalid type: floating point/,
    json: result('"metadata":{"execution_time_ms":12.0,"completed_at":"2026-03-21T12:00:01Z"}'),
  },
  {
    type: 'StepExecutionResult',
    name: 'null_status',
    rustError: /invalid type: null/,
    json: result(`${meta},"status":null`).replace('"status":"completed",', ''),
  },
  {
    type: 'StepExecutionResult',
    name: 'empty_orchestration_metadata',
    rustError: /missing field `headers`/,
    json: result(`${meta},"orchestration_metadata":{}`),
  },
  {
    type: 'StepExecutionResult',
    name: 'error_without_retryable',
    rustError: /missing field `retryable`/,
    json: result(`${meta},"error":{"message":"x"}`),
  },
  {
    type: 'StepExecutionResult',
    name: 'completed_at_without_zone',
    rustError: /premature end of input|input contains invalid characters|trailing input|invalid/,
    json: result('"metadata":{"completed_at":"2026-03-21T12:00:01"}'),
  },
  {
    type: 'StepExecutionResult',
    name: 'backoff_type_snake_case',
    rustError: /unknown variant `rate_limit`/,
    json: result(
      `${meta},"orchestration_metadata":{"headers":{},"custom":{},"backoff_hint":{"backoff_type":"rate_limit","delay_seconds":1}}`,
    ),
  },
  {
    type: 'Task',
    name: 'z_on_naive_datetime',
    rustError: /trailing input/,
    json: `{"task_uuid":"${STEP}","named_task_uuid":"${STEP}","complete":false,"requested_at":"2026-03-21T12:00:00Z","identity_hash":"h","priority":0,"created_at":"2026-03-21T12:00:00","updated_at":"2026-03-21T12:00:00","correlation_id":"${STEP}"}`,
  },
  {
    type: 'StepMessage',
    name: 'missing_correlation_id',
    rustError: /missing field `correlation_id`/,
    json: `{"task_uuid":"${STEP}","step_uuid":"${STEP}"}`,
  },
  {
    type: 'CheckpointYieldData',
    name: 'cursor_absent',
    rustError: /missing field `cursor`/,
    json: `{"step_uuid":"${STEP}","items_processed":1}`,
  },
  {
    type: 'CheckpointYieldData',
    name: 'negative_u64',
    rustError: /invalid value: integer `-1`/,
    json: `{"step_uuid":"${STEP}","cursor":1,"items_processed":-1}`,
  },
  {
    type: 'CursorConfig',
    name: 'u32_overflow',
    rustError: /invalid value: integer `5000000000`/,
    json: '{"batch_id":"1","start_cursor":0,"end_cursor":1,"batch_size":5000000000}',
  },
  {
    type: 'DecisionPointOutcome',
    name: 'create_steps_without_names',
    rustError: /missing field `step_names`/,
    json: '{"type":"create_steps"}',
  },
  {
    type: 'BatchProcessingOutcome',
    name: 'pascal_case_tag',
    rustError: /unknown variant `CreateBatches`/,
    json: '{"type":"CreateBatches"}',
  },
  {
    type: 'StepDefinition',
    name: 'type_and_step_type',
    rustError: /duplicate field `type`/,
    json: '{"name":"s","handler":{"callable":"c"},"type":"standard","step_type":"decision"}',
  },
  // The REST API's request body: serde has no default for initiator (the builder's do not apply to JSON), and
  // priority is an i32.
  {
    type: 'TaskRequest',
    name: 'task_request_without_initiator',
    rustError: /missing field `initiator`/,
    json: '{"name":"t","namespace":"n","version":"1.0.0","context":{},"source_system":"s","reason":"r"}',
  },
  {
    type: 'TaskRequest',
    name: 'task_request_priority_beyond_i32',
    rustError: /invalid value: integer `2147483648`/,
    json: '{"name":"t","namespace":"n","version":"1.0.0","context":{},"initiator":"i","source_system":"s","reason":"r","priority":2147483648}',
  },
  // MessagePack: the float64 that msgpackr's own encoder writes for 2^32 in an i64 field, and a UUID as text
  // of the wrong length.
  {
    type: 'StepExecutionResult',
    name: 'msgpack_float64_for_i64',
    jsCannotSee: true,
    rustError: /invalid type: floating point|expected i64/,
    msgpack_hex: '81a86d65746164617461' + '81b1657865637574696f6e5f74696d655f6d73' + 'cb41f0000000000000',
  },
  {
    type: 'StepMessage',
    name: 'msgpack_short_uuid_bin',
    rustError: /invalid length|UUID|expected/,
    msgpack_hex:
      '83a97461736b5f75756964c40201' +
      '02a9737465705f75756964c410' +
      '00'.repeat(16) +
      'ae636f7272656c6174696f6e5f6964c410' +
      '00'.repeat(16),
  },
];

describe('negative proof', () => {
  it('Rust rejects every deliberately wrong encoding, and so do our decoders', () => {
    const report = rustCheck(NEGATIVE.map(({ rustError: _r, jsCannotSee: _j, ...c }) => c));
    expect(report.results.map((r) => `${r.type}/${r.name}`)).toEqual(
      NEGATIVE.map((c) => `${c.type}/${c.name}`),
    );
    for (const [i, r] of report.results.entries()) {
      const c = NEGATIVE[i]!;
      const outcome = c.json !== undefined ? r.json : r.msgpack;
      expect(outcome?.ok, `${c.type}/${c.name} must be rejected by Rust`).toBe(false);
      expect(outcome?.error, `${c.type}/${c.name}`).toMatch(c.rustError);
      const ours = () =>
        c.json !== undefined
          ? decodeJson(c.type, c.json)
          : decodeMsgpack(c.type, Buffer.from(c.msgpack_hex!, 'hex'));
      if (c.jsCannotSee) expect(ours).not.toThrow();
      else expect(ours, `${c.type}/${c.name} must be rejected by our decoder`).toThrow();
    }
  });

  it('a correct encoding passes the same Rust check (the harness can say yes)', () => {
    const ok = encodeJson('StepMessage', { task_uuid: STEP, step_uuid: STEP, correlation_id: STEP });
    expect(validate('StepMessage', JSON.parse(ok)).ok).toBe(true);
    expect(rustCheck([{ type: 'StepMessage', name: 'ok', json: ok }]).results[0]?.json?.ok).toBe(true);
  });
});

/**
 * A vector with a Rust HashMap of two or more entries prints in a random order per process (docs/wire-types.md
 * §1.6): such cases compare as decoded values, every other case as Rust's exact text and bytes.
 */
function comparable(file: VectorFile): unknown {
  return {
    ...file,
    cases: file.cases.map((c) => {
      if (!hasUnorderedMap(file.type, decodeJson(file.type, c.json))) return c;
      return {
        ...c,
        json: parseJsonText(c.json),
        ...(c.input === undefined ? {} : { input: parseJsonText(c.input) }),
        ...(c.msgpack_hex === undefined
          ? {}
          : { msgpack_hex: decodeMsgpack(file.type, Buffer.from(c.msgpack_hex, 'hex')) }),
      };
    }),
  };
}

describe('the committed vectors', () => {
  it('are what the Rust types print today: regenerated into a temporary directory, they match file by file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tasker-vectors-'));
    try {
      runConformance(binary, ['vectors', dir]);
      const files = readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort();
      expect(files).toEqual(
        readdirSync(vectorsDir)
          .filter((f) => f.endsWith('.json'))
          .sort(),
      );
      for (const name of files) {
        const read = (from: string) => JSON.parse(readFileSync(join(from, name), 'utf8')) as VectorFile;
        expect(comparable(read(dir)), `${name} (npm run vectors regenerates it)`).toEqual(
          comparable(read(vectorsDir)),
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("include the cursor splits tasker-worker's helpers print today (cursor-splits.json)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'tasker-cursors-'));
    try {
      runConformance(binary, ['cursors', join(dir, 'cursor-splits.json')]);
      const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as unknown;
      expect(read(join(dir, 'cursor-splits.json')), 'npm run vectors regenerates it').toEqual(
        read(cursorVectorsFile),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
