import { ExitCode } from './exit-codes.js';

/**
 * The development tooling is not installed with the CLI: `tasker-bridge worker` (what production runs) needs only
 * the SDK and the worker, so the embedded PostgreSQL (`@tasker-bridge/devdb`, platform binaries), the development
 * orchestrator, the examples and the codegen's json-schema-to-typescript are optional peer dependencies, loaded
 * by the commands that use them. A missing one is a clear error naming what to install, not a stack trace.
 */
export class MissingPackageError extends Error {
  readonly code = 'package_missing';
  readonly exitCode = ExitCode.Config;
  constructor(
    readonly packageName: string,
    purpose: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${purpose} needs ${packageName}, which is not installed: run \`npm install --save-dev ${packageName}\``,
      options,
    );
    this.name = 'MissingPackageError';
  }
}

/** True when `error` says that `packageName` itself (not something it imports) cannot be found. */
function isMissing(error: unknown, packageName: string): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    typeof message === 'string' &&
    (message.includes(`'${packageName}'`) || message.includes(`"${packageName}"`))
  );
}

export async function loadOptionalPackage<T>(
  packageName: string,
  purpose: string,
  importer: () => Promise<T>,
): Promise<T> {
  try {
    return await importer();
  } catch (error) {
    if (isMissing(error, packageName)) throw new MissingPackageError(packageName, purpose, { cause: error });
    throw error;
  }
}

export const loadDevDb = (purpose: string) =>
  loadOptionalPackage('@tasker-bridge/devdb', purpose, () => import('@tasker-bridge/devdb'));

export const loadDevOrchestrator = (purpose: string) =>
  loadOptionalPackage(
    '@tasker-bridge/dev-orchestrator',
    purpose,
    () => import('@tasker-bridge/dev-orchestrator'),
  );

export const loadExamples = (purpose: string) =>
  loadOptionalPackage('@tasker-bridge/examples', purpose, () => import('@tasker-bridge/examples'));

/** `generateHandlerTypes`, whose json-schema-to-typescript core loads on first use: both must be there. */
export async function loadCodegen(purpose: string) {
  const codegen = await import('@tasker-bridge/core/codegen');
  await loadOptionalPackage('json-schema-to-typescript', purpose, () => import('json-schema-to-typescript'));
  return codegen;
}
