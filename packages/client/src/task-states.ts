// Which task states end a wait (docs/wire-types.md §11).
import type { TaskState } from '@tasker-bridge/schemas';

/** Upstream's terminal states (`TaskState::is_terminal`): nothing moves a task out of them. */
export const TERMINAL_TASK_STATES: readonly TaskState[] = [
  'complete',
  'error',
  'cancelled',
  'resolved_manually',
];

/**
 * Terminal states plus `blocked_by_failures`, where 0.1.8 leaves a task whose step failed permanently (only a
 * later finalization or an operator's manual resolution moves it on), so a wait for the outcome ends there too.
 */
export const SETTLED_TASK_STATES: readonly TaskState[] = [...TERMINAL_TASK_STATES, 'blocked_by_failures'];
