/** Stable codes for everything that can go wrong while bringing up the development database. */
export const DevDbErrorCode = {
  CargoUnavailable: 'cargo_unavailable',
  CargoFetchFailed: 'cargo_fetch_failed',
  ArtifactMissing: 'upstream_artifact_missing',
  PostgresBinariesMissing: 'postgres_binaries_missing',
  ClusterStartFailed: 'cluster_start_failed',
  ClusterLocked: 'cluster_locked',
  MigrationFailed: 'migration_failed',
  PgmqSqlDirInvalid: 'pgmq_sql_dir_invalid',
  PgmqVersionMismatch: 'pgmq_version_mismatch',
  UnsafeCachePath: 'cache_path_unsafe',
} as const;
export type DevDbErrorCode = (typeof DevDbErrorCode)[keyof typeof DevDbErrorCode];

export class DevDbError extends Error {
  override readonly name = 'DevDbError';
  readonly code: DevDbErrorCode;

  constructor(code: DevDbErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
