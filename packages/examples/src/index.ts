// @tasker-bridge/examples — tasker-core's standard example workflows as TypeScript handlers and task templates.
import type { HandlerRegistry, HandlerSource } from '@tasker-bridge/core';
import { csvBatchHandlers } from './batch-csv/handlers.js';
import { checkpointHandlers } from './checkpoint/handlers.js';
import { conditionalApprovalHandlers } from './conditional-approval/handlers.js';
import { dataPipelineHandlers } from './data-pipeline/handlers.js';
import { diamondWorkflowHandlers } from './diamond/handlers.js';
import { domainEventHandlers } from './domain-events/handlers.js';
import { ecommerceHandlers } from './ecommerce/handlers.js';
import { errorScenarioAliases, errorScenarioHandlers } from './errors/handlers.js';
import { linearWorkflowHandlers } from './linear/handlers.js';
import { methodDispatchHandlers } from './method-dispatch/handlers.js';
import { microservicesHandlers } from './microservices/handlers.js';
import { mixedDagWorkflowHandlers } from './mixed-dag/handlers.js';
import { orderFulfillmentHandlers } from './order-fulfillment/handlers.js';
import { customerSuccessHandlers, paymentsHandlers } from './team-scaling/handlers.js';
import { treeWorkflowHandlers } from './tree/handlers.js';

// Each workflow as a namespace: several workflows have a handler of the same name (ProcessPaymentHandler…).
export * as batchCsv from './batch-csv/index.js';
export * as checkpoint from './checkpoint/index.js';
export * as conditionalApproval from './conditional-approval/index.js';
export * as dataPipeline from './data-pipeline/index.js';
export * as diamond from './diamond/index.js';
export * as domainEvents from './domain-events/index.js';
export * as ecommerce from './ecommerce/index.js';
export * as errorScenarios from './errors/index.js';
export * as linear from './linear/index.js';
export * as methodDispatch from './method-dispatch/index.js';
export * as microservices from './microservices/index.js';
export * as mixedDag from './mixed-dag/index.js';
export * as orderFulfillment from './order-fulfillment/index.js';
export * as teamScaling from './team-scaling/index.js';
export { templatesDir } from './templates-dir.js';
export * as tree from './tree/index.js';

type NamedHandler = HandlerSource & ({ handlerName?: string } | { name: string });

/** Every example handler, each registered under its own name (the templates' `handler.callable`). */
export const exampleHandlers: readonly NamedHandler[] = [
  ...linearWorkflowHandlers,
  ...diamondWorkflowHandlers,
  ...treeWorkflowHandlers,
  ...mixedDagWorkflowHandlers,
  ...orderFulfillmentHandlers,
  ...conditionalApprovalHandlers,
  ...csvBatchHandlers,
  ...checkpointHandlers,
  ...domainEventHandlers,
  ...methodDispatchHandlers,
  ...ecommerceHandlers,
  ...dataPipelineHandlers,
  ...microservicesHandlers,
  ...customerSuccessHandlers,
  ...paymentsHandlers,
  ...errorScenarioHandlers,
];

/** Callables registered under a second name, where upstream's templates spell them differently. */
export const exampleHandlerAliases: Readonly<Record<string, HandlerSource>> = {
  ...errorScenarioAliases,
};

/** Registers every example handler (and alias) in `registry`, which it returns. */
export function registerExampleHandlers<R extends HandlerRegistry>(registry: R): R {
  for (const handler of exampleHandlers) registry.register(handler);
  for (const [name, handler] of Object.entries(exampleHandlerAliases)) registry.register(name, handler);
  return registry;
}
