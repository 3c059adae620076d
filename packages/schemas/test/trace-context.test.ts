import { describe, expect, it } from 'vitest';
import {
  formatTraceparent,
  hasTraceContextTag,
  parseTraceparent,
  traceContextFromTags,
  traceContextTags,
} from '../src/index.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

describe('W3C trace context on task tags', () => {
  it('formats and parses traceparent as the W3C spec reads it', () => {
    const value = formatTraceparent({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 });
    expect(value).toBe(`00-${TRACE_ID}-${SPAN_ID}-01`);
    expect(parseTraceparent(value)).toEqual({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 });
    // A later version may add fields; version 00 may not; ff is invalid; ids must not be all zero.
    expect(parseTraceparent(`01-${TRACE_ID}-${SPAN_ID}-00-extra`)).toMatchObject({ traceFlags: 0 });
    for (const bad of [
      `00-${TRACE_ID}-${SPAN_ID}-01-extra`,
      `ff-${TRACE_ID}-${SPAN_ID}-01`,
      `00-${'0'.repeat(32)}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
      `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`,
      'traceparent',
      '',
    ]) {
      expect(parseTraceparent(bad), bad).toBeNull();
    }
  });

  it('carries traceparent and tracestate as tags and reads them back from any task row tags', () => {
    const parent = { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 };
    const tags = traceContextTags(parent, 'vendor=abc,other=1');
    expect(tags).toEqual([`traceparent=00-${TRACE_ID}-${SPAN_ID}-01`, 'tracestate=vendor=abc,other=1']);
    expect(traceContextTags(parent, '')).toHaveLength(1);
    expect(hasTraceContextTag(['billing', ...tags])).toBe(true);
    expect(hasTraceContextTag(['billing'])).toBe(false);

    expect(traceContextFromTags(['billing', ...tags])).toEqual({
      ...parent,
      traceState: 'vendor=abc,other=1',
    });
    expect(traceContextFromTags([tags[0]])).toEqual({ ...parent, traceState: undefined });
    for (const none of [null, {}, 'traceparent=x', ['billing'], ['traceparent=nonsense'], [42]]) {
      expect(traceContextFromTags(none)).toBeNull();
    }
  });
});
