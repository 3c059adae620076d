import { describe, expect, it } from 'vitest';
import { eventPattern } from '../src/index.js';

describe('event patterns', () => {
  it.each([
    ['payment.processed', 'payment.processed', true],
    ['payment.processed', 'paymentXprocessed', false],
    ['payment.*', 'payment.processed', true],
    ['payment.*', 'payment.refund.failed', false],
    ['payment.*', 'paymentXfoo', false],
    ['payment.**', 'payment.refund.failed', true],
    ['*.failed', 'refund.failed', true],
    ['**', 'any.event.at.all', true],
    ['order.+', 'order.+', true],
    ['order.+', 'order..', false],
  ])('%s matches %s: %s', (pattern, name, expected) => {
    expect(eventPattern(pattern).test(name)).toBe(expected);
  });

  it('refuses an empty pattern', () => {
    expect(() => eventPattern('')).toThrow(TypeError);
  });
});
