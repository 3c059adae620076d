import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Pinned upstream programs the fleet tests run (installed from the registries, never from copied source). */
export const TASKER_ORCHESTRATION_VERSION = '0.1.8';
export const TASKER_PY_VERSION = '0.1.8';
/**
 * utoipa-swagger-ui 9.0.2 (a dependency of the server's `web-api` feature) downloads Swagger UI v5.17.14 from
 * GitHub in its build script unless SWAGGER_UI_DOWNLOAD_URL names a local zip. We build that zip from the same
 * release published on npm as `swagger-ui-dist`.
 */
export const SWAGGER_UI_VERSION = '5.17.14';

/** test/fleet */
export const FLEET_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = resolve(FLEET_DIR, '..', '..');
export const FLEET_CONFIG_DIR = join(FLEET_DIR, 'config');
export const FLEET_PYTHON_DIR = join(FLEET_DIR, 'python');
export const FLEET_TEMPLATES_DIR = join(FLEET_DIR, 'templates');
/** Our native Rust worker's crate (test/fleet/rust), built into the server's target directory. */
export const FLEET_RUST_DIR = join(FLEET_DIR, 'rust');

/**
 * Where the fleet's fetched and built programs live: never inside the repository.
 * `TASKER_BRIDGE_FLEET_CACHE` overrides `${XDG_CACHE_HOME:-~/.cache}/tasker-bridge`.
 */
export function fleetCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TASKER_BRIDGE_FLEET_CACHE) return env.TASKER_BRIDGE_FLEET_CACHE;
  const base = env.XDG_CACHE_HOME ?? join(userInfo().homedir, '.cache');
  return join(base, 'tasker-bridge');
}

export interface ServerBuildPaths {
  /** Everything for this server version (build tools included). */
  base: string;
  /** `cargo install --root` */
  root: string;
  /** `cargo install --target-dir` (kept, so a rebuild is warm) */
  targetDir: string;
  binary: string;
  swaggerZip: string;
  timings: string;
  buildLog: string;
}

export function serverBuildPaths(env: NodeJS.ProcessEnv = process.env): ServerBuildPaths {
  const base = join(fleetCacheDir(env), `fleet-server-${TASKER_ORCHESTRATION_VERSION}`);
  return {
    base,
    root: join(base, 'install'),
    targetDir: join(base, 'target'),
    binary: join(base, 'install', 'bin', 'tasker-server'),
    swaggerZip: join(base, 'swagger', `swagger-ui-${SWAGGER_UI_VERSION}.zip`),
    timings: join(base, 'build-timings.json'),
    buildLog: join(base, 'build.log'),
  };
}

export interface RustWorkerBuildPaths {
  /** The crate's manifest (its Cargo.lock is next to it). */
  manifest: string;
  /** tasker-server's target directory: the worker reuses every dependency the server compiled. */
  targetDir: string;
  binary: string;
  timings: string;
  buildLog: string;
}

export function rustWorkerBuildPaths(env: NodeJS.ProcessEnv = process.env): RustWorkerBuildPaths {
  const server = serverBuildPaths(env);
  return {
    manifest: join(FLEET_RUST_DIR, 'Cargo.toml'),
    targetDir: server.targetDir,
    binary: join(server.targetDir, 'release', 'fleet-rust-worker'),
    timings: join(server.base, 'rust-worker-build-timings.json'),
    buildLog: join(server.base, 'rust-worker-build.log'),
  };
}

export function venvDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TASKER_BRIDGE_FLEET_VENV ?? join(fleetCacheDir(env), 'fleet-venv');
}

/** Per-run log directory (gitignored `test-results/`). */
export function fleetLogDir(): string {
  return join(REPO_ROOT, 'test-results', 'fleet');
}
