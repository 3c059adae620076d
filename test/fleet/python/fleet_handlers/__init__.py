"""Step handlers for the fleet tests' Python worker (tasker-py 0.1.8).

Each class sets ``handler_name`` to the exact ``handler.callable`` string of the template step it serves;
``fleet_worker.py`` registers every StepHandler subclass found in this package under that name, and
``aliases.py`` adds extra names (the TypeScript examples' callables) for the shared-namespace scenario.
"""
