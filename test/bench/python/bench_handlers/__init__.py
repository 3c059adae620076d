"""No-op step handler for `npm run bench` (tasker-py 0.1.8, upstream's Rust worker core).

Registered through test/fleet/python/fleet_worker.py's ``FLEET_HANDLER_ALIASES`` (this directory is added to
PYTHONPATH). The only work: record when the handler started (epoch ms) so the bench can measure the latency from
enqueue to handler start. The TypeScript twin is in test/bench/src/ts-worker-child.ts.
"""

from __future__ import annotations

import time

from tasker_core.step_handler import StepHandler
from tasker_core.types import StepContext, StepHandlerResult


class NoopHandler(StepHandler):
    handler_name = "bench_handlers.NoopHandler"

    def call(self, context: StepContext) -> StepHandlerResult:
        return self.success({"started_at_ms": time.time() * 1000.0})
