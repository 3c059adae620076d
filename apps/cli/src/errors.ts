import { ExitCode } from './exit-codes.js';

/** Bad arguments or input the user must fix: exit 2. */
export class UsageError extends Error {
  readonly exitCode = ExitCode.Usage;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/** Maps an error to the documented exit code. */
export function exitCodeFor(error: unknown): number {
  const e = error as { exitCode?: unknown; code?: unknown; name?: unknown };
  if (typeof e?.exitCode === 'number') return e.exitCode;
  if (
    e?.name === 'ConfigError' ||
    e?.code === 'invalid_configuration' ||
    e?.code === 'pgmq_sql_dir_invalid' ||
    e?.code === 'missing_handlers'
  )
    return ExitCode.Config;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', '57P03', '3D000', '28P01'].includes(code))
    return ExitCode.Unavailable;
  if (
    ['cargo_unavailable', 'postgres_binaries_missing', 'cluster_start_failed', 'cluster_locked'].includes(
      code,
    )
  )
    return ExitCode.Unavailable;
  return ExitCode.Failure;
}
