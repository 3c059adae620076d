"""Failure handlers: a step that fails retryably a given number of times, and one that fails permanently.

Their results and errors are the same, field for field, as the TypeScript twins in test/fleet/support/ts-handlers.ts,
so that the two workers' writes for one template can be compared (scenario 4).
"""

from __future__ import annotations

from tasker_core.step_handler import StepHandler
from tasker_core.types import ErrorType, StepContext, StepHandlerResult


class PyFlakyStep(StepHandler):
    """Fails (retryable) while the step's recorded attempts are below the task context's ``fail_times``."""

    handler_name = "fleet_handlers.failures.PyFlakyStep"

    def call(self, context: StepContext) -> StepHandlerResult:
        fail_times = int(context.input_data.get("fail_times", 1))
        attempt = context.retry_count
        if attempt < fail_times:
            return self.failure(
                message=f"transient failure on attempt {attempt}",
                error_type=ErrorType.RETRYABLE_ERROR,
                retryable=True,
                error_code="FLEET_TRANSIENT",
            )
        return self.success({"recovered_after": attempt})


class PyPermanentFailure(StepHandler):
    handler_name = "fleet_handlers.failures.PyPermanentFailure"

    def call(self, context: StepContext) -> StepHandlerResult:
        return self.failure(
            message="this step always fails permanently",
            error_type=ErrorType.PERMANENT_ERROR,
            retryable=False,
            error_code="FLEET_PERMANENT",
        )
