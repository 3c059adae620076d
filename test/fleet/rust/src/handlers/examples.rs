//! Twins of @tasker-bridge/examples' linear and diamond handlers (packages/examples src/linear, src/diamond):
//! the same callables, the same formulas in f64 as JavaScript computes them, the same result documents.

use serde_json::json;
use tasker_shared::types::base::TaskSequenceStep;

use super::Run;
use crate::values::{config_number, dependency_number, even_number, js_number, Outcome};

pub const HANDLERS: &[(&str, Run)] = &[
    ("LinearWorkflow.StepHandlers.LinearStep1Handler", linear_1),
    ("LinearWorkflow.StepHandlers.LinearStep2Handler", linear_2),
    ("LinearWorkflow.StepHandlers.LinearStep3Handler", linear_3),
    ("LinearWorkflow.StepHandlers.LinearStep4Handler", linear_4),
    (
        "diamond_workflow.step_handlers.DiamondStartHandler",
        diamond_start,
    ),
    (
        "diamond_workflow.step_handlers.DiamondBranchBHandler",
        diamond_b,
    ),
    (
        "diamond_workflow.step_handlers.DiamondBranchCHandler",
        diamond_c,
    ),
    (
        "diamond_workflow.step_handlers.DiamondEndHandler",
        diamond_end,
    ),
];

fn square(step: &TaskSequenceStep) -> Outcome {
    let n = even_number(step)?;
    Ok(json!({ "squared_value": js_number(n * n), "operation": "square", "input": js_number(n) }))
}

fn linear_1(step: &TaskSequenceStep) -> Outcome {
    square(step)
}

fn linear_2(step: &TaskSequenceStep) -> Outcome {
    let squared = dependency_number(step, "linear_step_1", "squared_value")?;
    let constant = config_number(step, "constant", 10.0);
    Ok(json!({
        "added_value": js_number(squared + constant),
        "operation": "add",
        "constant": js_number(constant),
        "input": js_number(squared),
    }))
}

fn linear_3(step: &TaskSequenceStep) -> Outcome {
    let added = dependency_number(step, "linear_step_2", "added_value")?;
    let factor = config_number(step, "factor", 3.0);
    Ok(json!({
        "multiplied_value": js_number(added * factor),
        "operation": "multiply",
        "factor": js_number(factor),
        "input": js_number(added),
    }))
}

fn linear_4(step: &TaskSequenceStep) -> Outcome {
    let multiplied = dependency_number(step, "linear_step_3", "multiplied_value")?;
    let divisor = config_number(step, "divisor", 2.0);
    Ok(json!({
        "final_value": js_number(multiplied / divisor),
        "operation": "divide",
        "divisor": js_number(divisor),
        "input": js_number(multiplied),
    }))
}

fn diamond_start(step: &TaskSequenceStep) -> Outcome {
    square(step)
}

fn diamond_b(step: &TaskSequenceStep) -> Outcome {
    let value = dependency_number(step, "diamond_start_ts", "squared_value")?;
    let constant = config_number(step, "constant", 25.0);
    Ok(json!({
        "branch_b_value": js_number(value + constant),
        "operation": "add",
        "constant": js_number(constant),
        "input": js_number(value),
    }))
}

fn diamond_c(step: &TaskSequenceStep) -> Outcome {
    let value = dependency_number(step, "diamond_start_ts", "squared_value")?;
    let factor = config_number(step, "factor", 2.0);
    Ok(json!({
        "branch_c_value": js_number(value * factor),
        "operation": "multiply",
        "factor": js_number(factor),
        "input": js_number(value),
    }))
}

fn diamond_end(step: &TaskSequenceStep) -> Outcome {
    let b = dependency_number(step, "diamond_branch_b_ts", "branch_b_value")?;
    let c = dependency_number(step, "diamond_branch_c_ts", "branch_c_value")?;
    Ok(json!({
        "final_value": js_number((b + c) / 2.0),
        "operation": "average",
        "branch_b_value": js_number(b),
        "branch_c_value": js_number(c),
    }))
}
