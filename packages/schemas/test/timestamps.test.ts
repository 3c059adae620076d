import { describe, expect, it } from 'vitest';
import { formatNaiveTimestamp, formatRfc3339Offset, formatUtcTimestamp } from '../src/index.js';

describe('timestamp helpers', () => {
  it('print chrono AutoSi fractions: none for whole seconds, 3 digits otherwise', () => {
    expect(formatUtcTimestamp(new Date(Date.UTC(2026, 2, 21, 12, 0, 1, 0)))).toBe('2026-03-21T12:00:01Z');
    expect(formatUtcTimestamp(new Date(Date.UTC(2026, 2, 21, 12, 0, 1, 250)))).toBe(
      '2026-03-21T12:00:01.250Z',
    );
    expect(formatNaiveTimestamp(new Date(Date.UTC(2026, 2, 21, 12, 0, 0, 130)))).toBe(
      '2026-03-21T12:00:00.130',
    );
    expect(formatRfc3339Offset(new Date(Date.UTC(2026, 2, 21, 12, 0, 0, 5)))).toBe(
      '2026-03-21T12:00:00.005+00:00',
    );
  });
});
