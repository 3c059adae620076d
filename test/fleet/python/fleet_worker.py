"""Entry point of the fleet tests' Python worker: tasker-py 0.1.8 (upstream's Rust worker core via PyO3).

Started by test/fleet/support/python-worker.ts with the venv's interpreter, this directory on PYTHONPATH and:
  TASKER_CONFIG_PATH    merged common.toml + python-worker.toml
  TASKER_ENV            test
  DATABASE_URL          postgresql://... of the test database
  TASKER_TEMPLATE_PATH  the directory of templates this worker registers and serves (their namespaces)
  TASKER_WEB_BIND_ADDRESS  127.0.0.1:<port> for the worker's health API
  FLEET_HANDLER_ALIASES optional JSON object {"<handler.callable>": "<module>.<Class>"} adding names
                        (the TypeScript examples' callables, for the shared-namespace scenario)
Prints one line ``FLEET_PY_WORKER_READY <worker_id>`` on stdout once handlers are registered and polling runs,
then runs until SIGTERM/SIGINT, and stops the Rust core before exiting.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import signal
import sys
import threading

from tasker_core import Worker
from tasker_core.handler import HandlerRegistry
from tasker_core.step_handler import StepHandler

HANDLER_PACKAGE = "fleet_handlers"


def _load_class(path: str) -> type[StepHandler]:
    module_name, _, class_name = path.rpartition(".")
    cls = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(cls, type) and issubclass(cls, StepHandler)):
        raise TypeError(f"{path} is not a StepHandler subclass")
    return cls


def _register_aliases(registry: HandlerRegistry) -> list[str]:
    raw = os.environ.get("FLEET_HANDLER_ALIASES")
    if not raw:
        return []
    names = []
    for name, target in json.loads(raw).items():
        registry.register(name, _load_class(target))
        names.append(name)
    return names


def main() -> int:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s [%(levelname)s] %(name)s: %(message)s",
        stream=sys.stderr,
    )
    log = logging.getLogger("fleet-python-worker")

    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    worker = Worker.start(handler_packages=[HANDLER_PACKAGE])
    registry = HandlerRegistry.instance(skip_bootstrap=True)
    aliases = _register_aliases(registry)
    log.info("handlers: %s (aliases: %s)", registry.list_handlers(), aliases)
    print(f"FLEET_PY_WORKER_READY {worker.worker_id}", flush=True)

    try:
        while not stop.wait(0.5):
            pass
    finally:
        worker.stop()
        log.info("worker stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
