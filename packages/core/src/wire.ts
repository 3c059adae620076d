/**
 * The single seam between core and `@tasker-bridge/schemas`: every wire type and wire helper core uses comes
 * through here, so core has no copies of the wire types (docs/team-contracts.md) and adapting to a change in
 * the schemas package touches one file.
 */
export type {
  BackoffHint,
  BatchWorkerInputs,
  CheckpointRecord,
  CheckpointYieldData,
  CursorConfig,
  EventDeclaration,
  HandlerDefinition,
  HandlerDefinitionInput,
  JsonObject,
  JsonValue,
  OrchestrationMetadata,
  RetryConfigurationInput,
  StepDefinition,
  StepExecutionResult,
  TaskSequenceStep,
  TaskTemplate,
  TaskTemplateInput,
} from '@tasker-bridge/schemas';
export {
  canonicalize,
  decodeParsed,
  formatNaiveTimestamp,
  formatUtcTimestamp,
  setMember,
  stringifyJson,
  validate,
  WireValidationError,
} from '@tasker-bridge/schemas';
