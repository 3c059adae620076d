// @tasker-bridge/schemas — the wire contract with tasker-core 0.1.8 (docs/wire-types.md).

export {
  WIRE_ERROR_CODES,
  WireDecodeError,
  type WireErrorCode,
  type WireIssue,
  WireValidationError,
} from './errors.js';
export { STANDARD_ERROR_TYPES, STEP_STATES, TASK_STATES } from './generated/constants.js';
export { WIRE_SCHEMAS } from './generated/schemas.js';
export type * from './generated/types.js';
export { canonicalize, decodeJson, decodeParsed, decodeTrusted, encodeJson } from './json.js';
export { parseJsonText, stringifyJson, stringifySortedJson } from './json-text.js';
export { type JsonObject, type JsonValue, setMember } from './json-value.js';
export { compareKeys } from './key-order.js';
export { decodeMsgpack, encodeMsgpack } from './msgpack.js';
export { isWireTypeName, WIRE_TYPE_NAMES, type WireTypeName } from './names.js';
export { formatNaiveTimestamp, formatRfc3339Offset, formatUtcTimestamp } from './timestamps.js';
export {
  formatTraceparent,
  hasTraceContextTag,
  parseTraceparent,
  type TaskTraceContext,
  TRACEPARENT_TAG_PREFIX,
  TRACESTATE_TAG_PREFIX,
  type Traceparent,
  traceContextFromTags,
  traceContextTags,
} from './trace-context.js';
export { assertValid, type ValidationResult, validate } from './validate.js';
