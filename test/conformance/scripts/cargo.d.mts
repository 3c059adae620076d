// Types for cargo.mjs (plain ESM so the vector scripts run without a build), for the TypeScript tests.

/** test/conformance/rust: the conformance crate. */
export declare const crateDir: string;
/** test/conformance/vectors: the committed vectors. */
export declare const vectorsDir: string;

/** `CARGO_TARGET_DIR`, else `<XDG cache>/tasker-bridge/cargo-target`. */
export declare function cargoTargetDir(): string;

/** Runs `cargo build --locked` (a no-op when fresh) and returns the binary path. Throws with cargo's stderr. */
export declare function buildConformanceBinary(): { binary: string; seconds: number };

/** Runs the binary with arguments and returns its stdout; throws with its stderr on failure. */
export declare function runConformance(binary: string, args: readonly string[]): string;

/** test/conformance/cursor-splits.json: upstream's cursor splits, written by `conformance cursors`. */
export declare const cursorVectorsFile: string;

/** tasker-worker 0.1.8's directory in cargo's cache, fetched through rust/upstream/Cargo.toml on first use. */
export declare function taskerWorkerSource(): string;
