// @tasker-bridge/worker/internal — UNSTABLE. The worker's connection and LISTEN setup, SQL catalogue and template
// loading, shared with this repository's own tools (the dev orchestrator, the CLI, tests and the bench) so that
// each exists once. Not part of the public API: anything here may change or go in any release, without a major
// version. Applications use `@tasker-bridge/worker`.

export { type ListenerOptions, NotificationListener } from './listener.js';
export { createClient, createPool, type Queryable, TASKER_SESSION_OPTIONS } from './sql/connections.js';
export * as statements from './sql/statements.js';
export { findTemplateFiles } from './templates.js';
