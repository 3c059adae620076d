//! Twins of the fleet's failure handlers (test/fleet/support/ts-handlers.ts) for templates/shared: a step that
//! fails retryably while its earlier attempts are fewer than the context's `fail_times` (default 1), and one that
//! always fails permanently.

use serde_json::{json, Value};
use tasker_shared::types::base::TaskSequenceStep;

use super::Run;
use crate::values::{input, Failure, Outcome};

pub const HANDLERS: &[(&str, Run)] = &[
    ("fleet_shared.flaky_step", flaky),
    ("fleet_shared.permanent_failure", permanent),
];

fn flaky(step: &TaskSequenceStep) -> Outcome {
    let fail_times = input(step, "fail_times")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    // `attempts` as read before this attempt's claim: the number of earlier attempts (TS `retryCount`).
    let attempt = i64::from(step.workflow_step.attempts.unwrap_or(0));
    if attempt < fail_times {
        return Err(Failure {
            message: format!("transient failure on attempt {attempt}"),
            error_type: "retryable_error",
            error_code: Some("FLEET_TRANSIENT"),
            retryable: true,
        });
    }
    Ok(json!({ "recovered_after": attempt }))
}

fn permanent(_step: &TaskSequenceStep) -> Outcome {
    Err(Failure::permanent(
        "permanent_error",
        Some("FLEET_PERMANENT"),
        "this step always fails permanently".into(),
    ))
}
