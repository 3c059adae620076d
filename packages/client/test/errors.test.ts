import { describe, expect, it } from 'vitest';
import {
  CLIENT_ERROR_CODES,
  TaskerClientError,
  TaskerHttpError,
  TaskIdentityConflictError,
  TaskNotFoundError,
  TaskWaitTimeoutError,
} from '../src/index.js';

const failure = {
  method: 'POST',
  path: '/v1/tasks',
  status: 409,
  serverCode: 'CONFLICT',
  serverMessage: 'A task with this identity already exists',
  retryAfterSeconds: undefined,
  attempts: 1,
};

describe('client errors', () => {
  it('carry stable codes and their class chain', () => {
    const error = new TaskIdentityConflictError(failure);
    expect(error.code).toBe(CLIENT_ERROR_CODES.TASK_IDENTITY_CONFLICT);
    expect(error.name).toBe('TaskIdentityConflictError');
    expect(error).toBeInstanceOf(TaskIdentityConflictError);
    expect(error).toBeInstanceOf(TaskerHttpError);
    expect(error).toBeInstanceOf(TaskerClientError);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(TaskNotFoundError);
    expect(new TaskWaitTimeoutError('t', 1, undefined)).not.toBeInstanceOf(TaskerHttpError);
  });

  it('are recognised by instanceof across duplicate copies of the package (a Symbol.for brand)', () => {
    // What an error from another copy looks like: another prototype chain, the same global brand list.
    const foreign = Object.create(Error.prototype) as Record<symbol, unknown>;
    Object.defineProperty(foreign, Symbol.for('@tasker-bridge/client/error-brands'), {
      value: ['TaskIdentityConflictError', 'TaskerHttpError', 'TaskerClientError'],
    });
    expect(foreign).toBeInstanceOf(TaskIdentityConflictError);
    expect(foreign).toBeInstanceOf(TaskerHttpError);
    expect(foreign).not.toBeInstanceOf(TaskNotFoundError);
    expect({}).not.toBeInstanceOf(TaskerClientError);
  });
});
