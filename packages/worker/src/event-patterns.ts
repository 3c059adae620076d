/**
 * Event-name patterns for domain-event subscribers. Event names are dot-separated (`payment.processed`); in a
 * pattern `*` stands for one segment or part of one (never a dot) and `**` for anything, dots included, so
 * `payment.*` matches `payment.processed` but not `payment.refund.failed`, and `**` matches every event. Every
 * other character matches itself: upstream TypeScript turned globs into regular expressions without escaping the
 * dots, so its `payment.*` also matched `paymentXfoo` (docs/upstream-workers.md §3.5).
 */
export function eventPattern(pattern: string): RegExp {
  if (pattern === '') throw new TypeError('an event pattern cannot be empty');
  const source = pattern
    .split(/(\*\*|\*)/)
    .map((part) =>
      part === '**' ? '.*' : part === '*' ? '[^.]*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${source}$`);
}
