import { describe, expect, it } from 'vitest';
import { decodeMsgpack, encodeMsgpack, type StepMessage } from '../src/index.js';

const message: StepMessage = {
  task_uuid: '0195b7a2-1c3e-7d4f-8a90-1b2c3d4e5f60',
  step_uuid: '0195b7a2-1c40-7a11-9b22-3c4d5e6f7a81',
  correlation_id: '0195b7a2-1c3e-7d4f-8a90-aaaaaaaaaaaa',
};

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('encodeMsgpack', () => {
  it('writes a struct as a named map with UUIDs as bin 16, as rmp-serde to_vec_named does', () => {
    expect(hex(encodeMsgpack('StepMessage', message))).toBe(
      '83' +
        'a97461736b5f75756964' +
        'c410' +
        '0195b7a21c3e7d4f8a901b2c3d4e5f60' +
        'a9737465705f75756964' +
        'c410' +
        '0195b7a21c407a119b223c4d5e6f7a81' +
        'ae636f7272656c6174696f6e5f6964' +
        'c410' +
        '0195b7a21c3e7d4f8a90aaaaaaaaaaaa',
    );
  });

  it('writes integers in the smallest encoding with unsigned markers, as rmp write_sint/write_uint do', () => {
    const encode = (cursor: unknown) =>
      hex(
        encodeMsgpack('CheckpointYieldData', {
          step_uuid: message.step_uuid,
          cursor,
          items_processed: 0,
          accumulated_results: null,
        }),
      );
    expect(encode(127)).toContain('a6637572736f727f');
    expect(encode(128)).toContain('a6637572736f72cc80');
    expect(encode(2 ** 32)).toContain('a6637572736f72cf0000000100000000');
    expect(encode(-33)).toContain('a6637572736f72d0df');
    expect(encode(1.5)).toContain('a6637572736f72cb3ff8000000000000');
  });

  it('round-trips through decodeMsgpack', () => {
    expect(decodeMsgpack('StepMessage', encodeMsgpack('StepMessage', message))).toEqual(message);
  });
});
