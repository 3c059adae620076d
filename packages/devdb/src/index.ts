export { devDbCacheDir, isRoot } from './cache-dir.js';
export { type ClonedDatabase, createDatabaseFromTemplate } from './clone-database.js';
export {
  DEV_DB_USER,
  type DevCluster,
  type DevClusterOptions,
  devClusterUrl,
  startDevCluster,
  stopDevCluster,
} from './cluster.js';
export { databaseUrl } from './connection.js';
export { DevDbError, DevDbErrorCode } from './errors.js';
export { PGMQ_SQL_DIR_ENV, type PgmqSource } from './pgmq-sql.js';
export {
  ensureSplitTemplateDatabases,
  ensureTemplateDatabase,
  type SplitTemplateDatabases,
} from './template-database.js';
export {
  describePgmq,
  loadUpstreamArtifacts,
  type UpstreamArtifacts,
  type UpstreamArtifactsOptions,
} from './upstream-artifacts.js';
export { PGMQ_CRATE_VERSION, POSTGRES_MAJOR_VERSION, TASKER_UPSTREAM_VERSION } from './versions.js';
