//! What our handlers read from a `TaskSequenceStep` and how they write numbers, so that a Rust step writes the
//! same JSON as its TypeScript twin for the same input.

use serde_json::{Map, Value};
use tasker_shared::types::base::TaskSequenceStep;

/// Why a handler failed; becomes `StepExecutionResult::failure` (handlers::SyncHandler).
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub error_type: &'static str,
    pub error_code: Option<&'static str>,
    pub retryable: bool,
}

impl Failure {
    pub fn permanent(
        error_type: &'static str,
        error_code: Option<&'static str>,
        message: String,
    ) -> Self {
        Self {
            message,
            error_type,
            error_code,
            retryable: false,
        }
    }
}

pub type Outcome = Result<Value, Failure>;

/// Largest integer a JavaScript number holds exactly (2^53 − 1).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// A number as JavaScript's JSON.stringify writes it: integral values without a fraction (`69`, not `69.0`).
/// The example workflows compute in f64 in both languages, so their results are the same numbers.
pub fn js_number(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() <= MAX_SAFE_INTEGER {
        Value::from(value as i64)
    } else {
        Value::from(value)
    }
}

/// A task context member.
pub fn input<'a>(step: &'a TaskSequenceStep, key: &str) -> Option<&'a Value> {
    step.task.task.context.as_ref()?.get(key)
}

/// The template step's `handler.initialization` member when it is a number, else `fallback`.
pub fn config_number(step: &TaskSequenceStep, key: &str, fallback: f64) -> f64 {
    step.step_definition
        .handler
        .initialization
        .get(key)
        .and_then(Value::as_f64)
        .unwrap_or(fallback)
}

/// The `result` object a dependency (direct or transitive) wrote.
pub fn dependency<'a>(
    step: &'a TaskSequenceStep,
    name: &str,
) -> Result<&'a Map<String, Value>, Failure> {
    step.dependency_results
        .get(name)
        .and_then(|r| r.result.as_object())
        .ok_or_else(|| {
            Failure::permanent(
                "permanent_error",
                Some("MISSING_DEPENDENCY"),
                format!("no result object from dependency '{name}'"),
            )
        })
}

/// A numeric member of a dependency's result, as f64 (the example workflows' arithmetic).
pub fn dependency_number(step: &TaskSequenceStep, name: &str, field: &str) -> Result<f64, Failure> {
    dependency(step, name)?
        .get(field)
        .and_then(Value::as_f64)
        .ok_or_else(|| {
            Failure::permanent(
                "permanent_error",
                Some("MISSING_DEPENDENCY"),
                format!("dependency '{name}' has no number '{field}'"),
            )
        })
}

/// The examples' `even_number` rule (packages/examples src/shared/even-number.ts): an even integer a JavaScript
/// number holds exactly, else a permanent validation error.
pub fn even_number(step: &TaskSequenceStep) -> Result<f64, Failure> {
    let invalid = |message: String| Failure::permanent("validation_error", None, message);
    let value = match input(step, "even_number") {
        None | Some(Value::Null) => {
            return Err(invalid("Missing required input 'even_number'".into()))
        }
        Some(v) => v,
    };
    let n = value
        .as_f64()
        .filter(|n| n.fract() == 0.0 && n.abs() <= MAX_SAFE_INTEGER)
        .ok_or_else(|| invalid(format!("even_number must be an integer, got {value}")))?;
    if n % 2.0 != 0.0 {
        return Err(Failure::permanent(
            "validation_error",
            Some("ODD_NUMBER"),
            format!("even_number must be even, got {value}"),
        ));
    }
    Ok(n)
}
