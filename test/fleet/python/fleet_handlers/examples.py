"""Python twins of @tasker-bridge/examples' linear and diamond handlers (packages/examples/src/{linear,diamond}).

Registered under the TypeScript handlers' names (FLEET_HANDLER_ALIASES, see support/ts-handlers.ts
EXAMPLE_ALIASES), they return the same result documents for the same inputs, so the two workers can share the
examples' namespaces (scenario 2) and be compared on them (scenario 4).
"""

from __future__ import annotations

from typing import Any

from tasker_core.step_handler import StepHandler
from tasker_core.types import ErrorType, StepContext, StepHandlerResult


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _even(handler: StepHandler, context: StepContext) -> int | StepHandlerResult:
    n = context.input_data.get("even_number")
    if n is None:
        return handler.failure("Missing required input 'even_number'", ErrorType.VALIDATION_ERROR, False)
    if not isinstance(n, int) or isinstance(n, bool):
        return handler.failure(f"even_number must be an integer, got {n!r}", ErrorType.VALIDATION_ERROR, False)
    if n % 2 != 0:
        return handler.failure(f"even_number must be even, got {n}", ErrorType.VALIDATION_ERROR, False)
    return n


def _config_number(context: StepContext, key: str, fallback: float) -> Any:
    value = context.step_config.get(key)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else fallback


def _dep(context: StepContext, step: str, field: str) -> Any:
    result = context.get_dependency_result(step)
    return result.get(field) if isinstance(result, dict) else None


class LinearStep1(StepHandler):
    handler_name = "fleet_handlers.examples.LinearStep1"

    def call(self, context: StepContext) -> StepHandlerResult:
        n = _even(self, context)
        if isinstance(n, StepHandlerResult):
            return n
        return self.success({"squared_value": n * n, "operation": "square", "input": n})


class LinearStep2(StepHandler):
    handler_name = "fleet_handlers.examples.LinearStep2"

    def call(self, context: StepContext) -> StepHandlerResult:
        squared = _dep(context, "linear_step_1", "squared_value")
        constant = _config_number(context, "constant", 10)
        return self.success(
            {"added_value": squared + constant, "operation": "add", "constant": constant, "input": squared}
        )


class LinearStep3(StepHandler):
    handler_name = "fleet_handlers.examples.LinearStep3"

    def call(self, context: StepContext) -> StepHandlerResult:
        added = _dep(context, "linear_step_2", "added_value")
        factor = _config_number(context, "factor", 3)
        return self.success(
            {"multiplied_value": added * factor, "operation": "multiply", "factor": factor, "input": added}
        )


class LinearStep4(StepHandler):
    handler_name = "fleet_handlers.examples.LinearStep4"

    def call(self, context: StepContext) -> StepHandlerResult:
        multiplied = _dep(context, "linear_step_3", "multiplied_value")
        divisor = _config_number(context, "divisor", 2)
        return self.success(
            {
                "final_value": _number(multiplied / divisor),
                "operation": "divide",
                "divisor": divisor,
                "input": multiplied,
            }
        )


class DiamondStart(StepHandler):
    handler_name = "fleet_handlers.examples.DiamondStart"

    def call(self, context: StepContext) -> StepHandlerResult:
        n = _even(self, context)
        if isinstance(n, StepHandlerResult):
            return n
        return self.success({"squared_value": n * n, "operation": "square", "input": n})


class DiamondBranchB(StepHandler):
    handler_name = "fleet_handlers.examples.DiamondBranchB"

    def call(self, context: StepContext) -> StepHandlerResult:
        value = _dep(context, "diamond_start_ts", "squared_value")
        constant = _config_number(context, "constant", 25)
        return self.success(
            {"branch_b_value": value + constant, "operation": "add", "constant": constant, "input": value}
        )


class DiamondBranchC(StepHandler):
    handler_name = "fleet_handlers.examples.DiamondBranchC"

    def call(self, context: StepContext) -> StepHandlerResult:
        value = _dep(context, "diamond_start_ts", "squared_value")
        factor = _config_number(context, "factor", 2)
        return self.success(
            {"branch_c_value": value * factor, "operation": "multiply", "factor": factor, "input": value}
        )


class DiamondEnd(StepHandler):
    handler_name = "fleet_handlers.examples.DiamondEnd"

    def call(self, context: StepContext) -> StepHandlerResult:
        b = _dep(context, "diamond_branch_b_ts", "branch_b_value")
        c = _dep(context, "diamond_branch_c_ts", "branch_c_value")
        return self.success(
            {
                "final_value": _number((b + c) / 2),
                "operation": "average",
                "branch_b_value": b,
                "branch_c_value": c,
            }
        )
