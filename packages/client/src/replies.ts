// Reading the server's answers: a 2xx body decoded as the route's wire type with serde's rules (and checked
// against its schema), anything else turned into what went wrong.
import { decodeJson, type WireTypeMap, type WireTypeName } from '@tasker-bridge/schemas';
import { type HttpFailure, TaskerResponseError } from './errors.js';
import { parseRetryAfter } from './retry.js';
import type { Exchange, Reply } from './transport.js';

export function isSuccess(reply: Reply): boolean {
  return reply.status >= 200 && reply.status < 300;
}

export function decodeReply<N extends WireTypeName>(
  name: N,
  exchange: Exchange,
  reply: Reply,
): WireTypeMap[N] {
  try {
    return decodeJson(name, reply.text);
  } catch (cause) {
    throw new TaskerResponseError(exchange.method, exchange.path, reply.status, cause);
  }
}

/** Longest plain-text body quoted in an error (axum's rejections are one line; a proxy's page may not be). */
const MAX_TEXT = 500;

/**
 * What a non-2xx answer says. Most carry `ApiErrorBody`; axum's own rejections (a body serde cannot read, a
 * missing content type) and anything in front of the server (a proxy) answer in plain text.
 */
export function httpFailure(exchange: Exchange, reply: Reply): HttpFailure {
  const header = parseRetryAfter(reply.headers.get('retry-after'));
  let body: WireTypeMap['ApiErrorBody'] | undefined;
  try {
    body = decodeJson('ApiErrorBody', reply.text);
  } catch {
    body = undefined;
  }
  const retryAfter = body?.error.retry_after_seconds;
  const text = reply.text.trim();
  return {
    method: exchange.method,
    path: exchange.path,
    status: reply.status,
    serverCode: body?.error.code,
    serverMessage: body?.error.message ?? (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text),
    retryAfterSeconds: retryAfter === undefined || retryAfter === null ? header : Number(retryAfter),
    attempts: reply.attempts,
  };
}
