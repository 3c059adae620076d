// The query string of GET /v1/tasks (`TaskListQuery`, docs/wire-types.md §18.3).
import type { TaskListQuery } from '@tasker-bridge/schemas';
import { InvalidRequestError } from './errors.js';

/**
 * The status filters 0.1.8 understands: it filters on the `tasks.complete` flag. Any other value makes the
 * server build invalid SQL (HTTP 500), so the client refuses it.
 */
export const LIST_STATUS_FILTERS = ['completed', 'pending'] as const;
export type ListStatusFilter = (typeof LIST_STATUS_FILTERS)[number];

/** Filters and page of `listTasks`; absent keys take the server's defaults (page 1, 25 per page). */
export type ListTasksQuery = Partial<Omit<TaskListQuery, 'status'>> & { status?: ListStatusFilter | null };

export function listQueryString(query: ListTasksQuery): URLSearchParams {
  const params = new URLSearchParams();
  if (query.status != null && !(LIST_STATUS_FILTERS as readonly string[]).includes(query.status)) {
    throw new InvalidRequestError(
      `status filter "${query.status}": tasker-orchestration 0.1.8 filters on completed | pending only`,
    );
  }
  for (const key of ['page', 'per_page'] as const) {
    const value = query[key];
    if (value == null) continue;
    if (!Number.isInteger(value) || value < 0)
      throw new InvalidRequestError(`${key} must be a whole number, got ${value}`);
    params.set(key, String(value));
  }
  for (const key of ['namespace', 'status', 'initiator', 'source_system'] as const) {
    const value = query[key];
    if (value != null) params.set(key, value);
  }
  return params;
}
