export { devDbCacheDir, isRoot } from './cache-dir.js';
export { type ClonedDatabase, createDatabaseFromTemplate } from './clone-database.js';
export {
  adminUrlFor,
  DEV_DB_PASSWORD,
  DEV_DB_USER,
  type DevCluster,
  type DevClusterOptions,
  devClusterUrl,
  startDevCluster,
  stopDevCluster,
} from './cluster.js';
export { databaseUrl, TASKER_CONNECTION_OPTIONS } from './connection.js';
export { DevDbError, DevDbErrorCode } from './errors.js';
export { ensureTemplateDatabase } from './template-database.js';
export { loadUpstreamArtifacts, type UpstreamArtifacts } from './upstream-artifacts.js';
export { PGMQ_CRATE_VERSION, POSTGRES_MAJOR_VERSION, TASKER_UPSTREAM_VERSION } from './versions.js';
