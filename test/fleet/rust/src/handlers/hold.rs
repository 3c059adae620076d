//! A step that runs for the task context's `hold_ms` (default 0), for killing the worker mid-step
//! (test/fleet/rust-kill.test.ts). It prints `FLEET_RUST_HOLDING <step_uuid>` on stdout first: by then upstream's
//! core has claimed the step and acked (archived) its message, so the test knows the claim is all that is left.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::{json, Value};
use tasker_shared::messaging::StepExecutionResult;
use tasker_shared::types::base::TaskSequenceStep;
use tasker_shared::TaskerResult;
use tasker_worker::worker::StepHandler;

use crate::values::input;

pub struct Hold;

#[async_trait]
impl StepHandler for Hold {
    async fn call(&self, step: &TaskSequenceStep) -> TaskerResult<StepExecutionResult> {
        let started = Instant::now();
        let hold_ms = input(step, "hold_ms").and_then(Value::as_u64).unwrap_or(0);
        let step_uuid = step.workflow_step.workflow_step_uuid;
        println!("FLEET_RUST_HOLDING {step_uuid}");
        tokio::time::sleep(Duration::from_millis(hold_ms)).await;
        let elapsed_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        Ok(StepExecutionResult::success(
            step_uuid,
            json!({ "held_ms": hold_ms }),
            elapsed_ms,
            None,
        ))
    }

    fn name(&self) -> &str {
        "fleet_hold.hold"
    }
}
