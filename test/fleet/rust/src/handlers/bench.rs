//! The bench's no-op step (test/bench/templates/bench_noop.yaml): records when it started, nothing else, like its
//! TypeScript and Python twins.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;
use tasker_shared::types::base::TaskSequenceStep;

use super::Run;
use crate::values::Outcome;

pub const HANDLERS: &[(&str, Run)] = &[("bench_handlers.NoopHandler", noop)];

fn noop(_step: &TaskSequenceStep) -> Outcome {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Ok(json!({ "started_at_ms": now.as_secs_f64() * 1000.0 }))
}
