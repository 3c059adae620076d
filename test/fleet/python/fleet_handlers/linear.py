"""Linear workflow (square -> add -> multiply -> divide) for the Python worker's own namespace."""

from __future__ import annotations

from typing import Any

from tasker_core.step_handler import StepHandler
from tasker_core.types import ErrorType, StepContext, StepHandlerResult


def _previous(context: StepContext, step_name: str) -> Any:
    value = context.get_dependency_result(step_name)
    if isinstance(value, dict) and "result" in value:
        return value["result"]
    return value


def _operand(context: StepContext, key: str, default: float) -> float:
    raw = context.step_config.get(key, default)
    return float(raw) if isinstance(raw, float) else int(raw)


class PyLinearSquare(StepHandler):
    handler_name = "fleet_handlers.linear.PyLinearSquare"

    def call(self, context: StepContext) -> StepHandlerResult:
        n = context.input_data.get("even_number")
        if not isinstance(n, int) or n % 2 != 0:
            return self.failure(
                message=f"even_number must be an even integer, got {n!r}",
                error_type=ErrorType.VALIDATION_ERROR,
                retryable=False,
            )
        return self.success({"result": n * n, "operation": "square", "input": n, "worker": "python"})


class PyLinearAdd(StepHandler):
    handler_name = "fleet_handlers.linear.PyLinearAdd"

    def call(self, context: StepContext) -> StepHandlerResult:
        prev = _previous(context, "py_linear_square")
        constant = _operand(context, "constant", 10)
        return self.success({"result": prev + constant, "operation": "add", "input": prev, "worker": "python"})


class PyLinearMultiply(StepHandler):
    handler_name = "fleet_handlers.linear.PyLinearMultiply"

    def call(self, context: StepContext) -> StepHandlerResult:
        prev = _previous(context, "py_linear_add")
        factor = _operand(context, "factor", 3)
        return self.success(
            {"result": prev * factor, "operation": "multiply", "input": prev, "worker": "python"}
        )


class PyLinearDivide(StepHandler):
    handler_name = "fleet_handlers.linear.PyLinearDivide"

    def call(self, context: StepContext) -> StepHandlerResult:
        prev = _previous(context, "py_linear_multiply")
        divisor = _operand(context, "divisor", 2)
        quotient = prev / divisor
        if quotient == int(quotient):
            quotient = int(quotient)
        return self.success(
            {"result": quotient, "operation": "divide", "input": prev, "worker": "python"}
        )
