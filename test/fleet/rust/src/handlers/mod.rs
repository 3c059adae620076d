//! Every handler of the fleet Rust worker, each registered under the `handler.callable` its template names. The
//! callables are the TypeScript handlers' own, so both workers can serve one namespace (test/fleet/NOTE.md).

mod bench;
mod examples;
mod failures;
mod hold;
mod interop;

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use tasker_shared::messaging::StepExecutionResult;
use tasker_shared::types::base::TaskSequenceStep;
use tasker_shared::TaskerResult;
use tasker_worker::worker::StepHandler;

use crate::values::Outcome;

pub fn all() -> Vec<Arc<dyn StepHandler>> {
    let mut handlers: Vec<Arc<dyn StepHandler>> = Vec::new();
    for (name, run) in examples::HANDLERS
        .iter()
        .chain(failures::HANDLERS)
        .chain(interop::HANDLERS)
        .chain(bench::HANDLERS)
    {
        handlers.push(Arc::new(SyncHandler { name, run: *run }));
    }
    handlers.push(Arc::new(hold::Hold));
    handlers
}

/// A handler that computes its result without awaiting anything.
type Run = fn(&TaskSequenceStep) -> Outcome;

struct SyncHandler {
    name: &'static str,
    run: Run,
}

#[async_trait]
impl StepHandler for SyncHandler {
    async fn call(&self, step: &TaskSequenceStep) -> TaskerResult<StepExecutionResult> {
        let started = Instant::now();
        let outcome = (self.run)(step);
        Ok(to_result(step, outcome, started))
    }

    fn name(&self) -> &str {
        self.name
    }
}

/// Upstream's own constructors (`StepExecutionResult::success` / `failure`), as upstream's Rust handlers use them.
fn to_result(step: &TaskSequenceStep, outcome: Outcome, started: Instant) -> StepExecutionResult {
    let step_uuid = step.workflow_step.workflow_step_uuid;
    let elapsed_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    match outcome {
        Ok(result) => StepExecutionResult::success(step_uuid, result, elapsed_ms, None),
        Err(failure) => StepExecutionResult::failure(
            step_uuid,
            failure.message,
            failure.error_code.map(str::to_string),
            Some(failure.error_type.to_string()),
            failure.retryable,
            elapsed_ms,
            None,
        ),
    }
}
