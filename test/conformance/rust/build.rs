//! Prepares tasker-worker 0.1.8's `src/handler_capabilities.rs` (the `BatchableCapable` cursor helpers) for
//! `include!` in main.rs, so that the cursor-split vectors come from upstream's own function. The source is read
//! from cargo's cache, where `scripts/cargo.mjs` fetched it through `upstream/Cargo.toml`, and passed here as
//! TASKER_WORKER_SRC (the crate's directory). Depending on tasker-worker instead would compile its whole tree.
use std::{env, fs, path::Path};

fn main() {
    println!("cargo:rerun-if-env-changed=TASKER_WORKER_SRC");
    let dir = env::var("TASKER_WORKER_SRC").expect(
        "TASKER_WORKER_SRC is unset: build through test/conformance/scripts/cargo.mjs (npm run vectors), which \
         fetches tasker-worker 0.1.8 and points it at the crate's directory",
    );
    let source = Path::new(&dir).join("src").join("handler_capabilities.rs");
    println!("cargo:rerun-if-changed={}", source.display());
    let text = fs::read_to_string(&source)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", source.display()));
    // `include!` expands to items, where the module's inner doc comment (`//!`) does not parse.
    let items: String = text
        .lines()
        .filter(|line| !line.trim_start().starts_with("//!"))
        .map(|line| format!("{line}\n"))
        .collect();
    let out = Path::new(&env::var("OUT_DIR").expect("OUT_DIR")).join("handler_capabilities.rs");
    fs::write(&out, items).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}
