import { describe, expect, it } from 'vitest';
import { MIN_PGMQ_VERSION, PgmqVersionError } from '../src/index.js';
import { parsePgmqVersion, pgmqInfo } from '../src/pgmq-version.js';

describe('the pgmq version read at start (docs/protocol.md §8)', () => {
  it('parses extversion as pg_extension reports it', () => {
    expect(parsePgmqVersion('1.5.1')).toEqual([1, 5, 1]);
    expect(parsePgmqVersion('1.11.0')).toEqual([1, 11, 0]);
    expect(parsePgmqVersion('1.5')).toEqual([1, 5, 0]);
    expect(parsePgmqVersion('1.10.0-rc1')).toEqual([1, 10, 0]);
    expect(parsePgmqVersion('unknown')).toBeNull();
  });

  it('uses the array set_vt from pgmq 1.8.0 on, compared numerically (1.11 > 1.8)', () => {
    expect(pgmqInfo('1.5.0')).toEqual({ version: '1.5.0', setVtArray: false, lastReadAt: false });
    expect(pgmqInfo('1.5.1').setVtArray).toBe(false);
    expect(pgmqInfo('1.7.1').setVtArray).toBe(false);
    expect(pgmqInfo('1.8.0').setVtArray).toBe(true);
    expect(pgmqInfo('1.11.0').setVtArray).toBe(true);
    expect(pgmqInfo('2.0.0').setVtArray).toBe(true);
  });

  it('sets last_read_at on a read from pgmq 1.10.0 on, where queue tables have it', () => {
    expect(pgmqInfo('1.5.1').lastReadAt).toBe(false);
    expect(pgmqInfo('1.9.0').lastReadAt).toBe(false);
    expect(pgmqInfo('1.10.0').lastReadAt).toBe(true);
    expect(pgmqInfo('1.11.0').lastReadAt).toBe(true);
  });

  it.each(['1.4.5', '0.33.3', '1', 'garbage'])(
    'refuses %s with a PgmqVersionError naming the version found and the minimum',
    (found) => {
      const error = (() => {
        try {
          pgmqInfo(found);
          return null;
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(PgmqVersionError);
      expect(error).toMatchObject({ code: 'pgmq_version_unsupported', found, minimum: MIN_PGMQ_VERSION });
      expect((error as Error).message).toContain(`pgmq ${found} is not supported`);
      expect((error as Error).message).toContain(`pgmq ${MIN_PGMQ_VERSION} or newer`);
    },
  );
});
