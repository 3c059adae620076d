/**
 * Keeps a metric label's values to a bounded set. Prometheus keeps one time series per distinct label set, and a
 * handler's `error_type` is free-form text: a handler that puts an id or a message into it would create a new
 * series per step and grow the scrape (and the worker's memory) without end.
 *
 * The worker's own vocabulary (`known`) always passes. Other values pass while fewer than `limit` distinct ones have
 * been seen and they look like identifiers (letters, digits, `_ . : -`, at most 64 characters); everything else
 * is reported as `other`. The first `limit` custom types are the ones that stay visible, which is what a handler
 * with a few types of its own needs.
 */
export const OVERFLOW_LABEL_VALUE = 'other';

const IDENTIFIER = /^[A-Za-z0-9_.:-]{1,64}$/;

export class BoundedLabelValues {
  readonly #known: ReadonlySet<string>;
  readonly #seen = new Set<string>();
  readonly #limit: number;

  constructor(known: Iterable<string>, limit: number) {
    this.#known = new Set(known);
    this.#limit = limit;
  }

  /** The value to record for `value`. */
  bound(value: string): string {
    if (this.#known.has(value) || this.#seen.has(value)) return value;
    if (this.#seen.size >= this.#limit || !IDENTIFIER.test(value)) return OVERFLOW_LABEL_VALUE;
    this.#seen.add(value);
    return value;
  }
}
