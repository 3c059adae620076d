//! The big-number workflow (test/fleet/templates/rust/big_numbers.yaml), also implemented in TypeScript
//! (test/fleet/support/interop-handlers.ts): each step reads what the step before wrote, whichever language
//! wrote it, and fails permanently unless every integer arrived exactly, as an integer.
//!   extremes  u64::MAX, i64::MIN, i64::MAX, 2^53 + 1, and the same inside nested arrays and objects
//!   derive    u64::MAX − 1 and i64::MIN + 1 computed from `extremes`, and its nested value echoed
//!   verify    `derive` checked against `extremes`

use serde_json::{json, Map, Value};
use tasker_shared::types::base::TaskSequenceStep;

use super::Run;
use crate::values::{dependency, Failure, Outcome};

pub const HANDLERS: &[(&str, Run)] = &[
    ("fleet_interop.extremes", extremes),
    ("fleet_interop.derive", derive),
    ("fleet_interop.verify", verify),
];

/// 2^53 + 1: the first integer a JavaScript number cannot hold.
const BEYOND_DOUBLE: u64 = (1 << 53) + 1;

fn mismatch(message: String) -> Failure {
    Failure::permanent("permanent_error", Some("FLEET_MISMATCH"), message)
}

fn field<'a>(doc: &'a Map<String, Value>, step: &str, key: &str) -> Result<&'a Value, Failure> {
    doc.get(key)
        .ok_or_else(|| mismatch(format!("{step}.{key} is missing")))
}

fn exact_u64(doc: &Map<String, Value>, step: &str, key: &str) -> Result<u64, Failure> {
    let value = field(doc, step, key)?;
    value
        .as_u64()
        .ok_or_else(|| mismatch(format!("{step}.{key} is not an exact u64: {value}")))
}

fn exact_i64(doc: &Map<String, Value>, step: &str, key: &str) -> Result<i64, Failure> {
    let value = field(doc, step, key)?;
    value
        .as_i64()
        .ok_or_else(|| mismatch(format!("{step}.{key} is not an exact i64: {value}")))
}

fn extremes(_step: &TaskSequenceStep) -> Outcome {
    Ok(json!({
        "u64_max": u64::MAX,
        "i64_min": i64::MIN,
        "i64_max": i64::MAX,
        "beyond_double": BEYOND_DOUBLE,
        "nested": {
            "list": [u64::MAX, i64::MIN, BEYOND_DOUBLE, -(BEYOND_DOUBLE as i64)],
            "deep": { "u64_max_minus_one": u64::MAX - 1, "small": 7 },
        },
    }))
}

fn derive(step: &TaskSequenceStep) -> Outcome {
    let source = dependency(step, "extremes")?;
    let u64_max = exact_u64(source, "extremes", "u64_max")?;
    let i64_min = exact_i64(source, "extremes", "i64_min")?;
    Ok(json!({
        "u64_max_minus_one": u64_max - 1,
        "i64_min_plus_one": i64_min + 1,
        "echo": field(source, "extremes", "nested")?,
    }))
}

fn verify(step: &TaskSequenceStep) -> Outcome {
    let source = dependency(step, "extremes")?;
    let derived = dependency(step, "derive")?;
    let u64_max = exact_u64(source, "extremes", "u64_max")?;
    let i64_min = exact_i64(source, "extremes", "i64_min")?;
    let u64_max_minus_one = exact_u64(derived, "derive", "u64_max_minus_one")?;
    let i64_min_plus_one = exact_i64(derived, "derive", "i64_min_plus_one")?;
    if u64_max_minus_one != u64_max - 1 || i64_min_plus_one != i64_min + 1 {
        return Err(mismatch(format!(
            "derive wrote {u64_max_minus_one} and {i64_min_plus_one} for {u64_max} and {i64_min}"
        )));
    }
    let echo = field(derived, "derive", "echo")?;
    let nested = field(source, "extremes", "nested")?;
    if echo != nested {
        return Err(mismatch(format!(
            "derive.echo {echo} differs from extremes.nested {nested}"
        )));
    }
    Ok(json!({
        "verified": true,
        "u64_max_minus_one": u64_max_minus_one,
        "i64_min_plus_one": i64_min_plus_one,
        "nested": echo,
    }))
}
