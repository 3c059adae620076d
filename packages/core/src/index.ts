export type { PublishOptions, StepContextInit } from './context.js';
export { StepContext } from './context.js';
export * from './errors/index.js';
export type {
  DomainEventPublisher,
  PublishContext,
  PublishedEvent,
  StepOutcomeFacts,
} from './events/domain-events.js';
export {
  conditionMatches,
  definePublisher,
  PublicationCondition,
  willRetry,
} from './events/domain-events.js';
export type {
  DefinedHandler,
  DefineHandlerOptions,
  ExecutableHandler,
  HandlerArgs,
  HandlerFn,
  HandlerOutput,
  HandlerResultOf,
  HandlerReturn,
  HandlerSchemas,
  StepHandlerClass,
  WithNames,
} from './handler.js';
export { defineHandler, markHandlerBase, StepHandler } from './handler.js';
export type { ApiClientOptions, RequestOptions } from './handlers/api.js';
export {
  ApiClient,
  ApiHandler,
  ApiResponse,
  apiClientOptions,
  apiFailure,
  apiResult,
  apiSuccess,
  defineApiHandler,
  parseRetryAfter,
  RATE_LIMITED,
} from './handlers/api.js';
export type {
  BatchAggregationScenario,
  BatchAnalysis,
  BatchResultOptions,
  BatchWorkerContext,
  BatchWorkerResult,
  BatchWorkerSummary,
  CreateBatchesInput,
  DefineBatchAggregatorOptions,
  DefineBatchAnalyzerOptions,
} from './handlers/batchable.js';
export {
  batchWorkerSuccess,
  createBatches,
  createCursorConfigs,
  createCursorConfigsBySize,
  defineBatchAggregator,
  defineBatchAnalyzer,
  defineBatchWorker,
  detectAggregationScenario,
  getBatchContext,
  handleNoOpWorker,
  noBatches,
  summarizeBatchWorkers,
} from './handlers/batchable.js';
export { BatchableHandler } from './handlers/batchable-handler.js';
export type { CheckpointYieldInput } from './handlers/checkpoint.js';
export { CheckpointYield, checkpointYield } from './handlers/checkpoint.js';
export type { DecisionOptions, DefineDecisionHandlerOptions } from './handlers/decision.js';
export {
  Decision,
  DecisionHandler,
  decisionSuccess,
  defineDecisionHandler,
  skipBranches,
} from './handlers/decision.js';
export type { Logger } from './logger.js';
export { noopLogger } from './logger.js';
export type { HandlerRegistryOptions } from './registry.js';
export { HandlerRegistry } from './registry.js';
export type { HandlerResolver, HandlerSource } from './resolvers.js';
export { ClassLookupResolver, ExplicitMappingResolver, ResolverChain } from './resolvers.js';
export type { FailureOptions, StepFailure } from './results.js';
export { failure, StepHandlerResult, success } from './results.js';
export type { RunStepInput, StepOutcome } from './run-step.js';
export { runStep, stepLogFields } from './run-step.js';
export { jsonSchema } from './typed/json-schema.js';
export type { ResultSchemaCheck, SchemaIssue } from './typed/result-schema.js';
export { checkResultSchema, ResultSchemaMode, SchemaMode } from './typed/result-schema.js';
export type {
  InferSchemaInput,
  InferSchemaOutput,
  SchemaCheck,
  StandardIssue,
  StandardResult,
  StandardSchemaProps,
  StandardSchemaV1,
} from './typed/standard-schema.js';
export { checkWithSchema, isStandardSchema } from './typed/standard-schema.js';
export type { JsonOf, WireValue } from './typed/wire-value.js';
export type { JsonObject, JsonValue } from './wire.js';
