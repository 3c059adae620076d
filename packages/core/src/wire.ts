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
  HandlerDefinition,
  OrchestrationMetadata,
  StepDefinition,
  StepExecutionResult,
  TaskSequenceStep,
  TaskTemplate,
} from '@tasker-bridge/schemas';
export { formatNaiveTimestamp, formatUtcTimestamp, validate } from '@tasker-bridge/schemas';
