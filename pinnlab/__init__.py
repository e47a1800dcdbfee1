"""pinnlab: physics-informed neural networks and PDE inverse problems from declarative specs.

Public API (heavy modules load on first use)::

    import pinnlab
    problem = pinnlab.load("problems/burgers.toml")
    result = pinnlab.solve(problem, adam_steps=2000)
    result.metrics["rel_l2"], result.predict({"x": x, "t": t})["u"]
    later = pinnlab.load_result("runs/burgers")   # the output folder of a finished solve
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_LAZY = {
    "load": ("pinnlab.api", "load"),
    "solve": ("pinnlab.api", "solve"),
    "load_result": ("pinnlab.api", "load_result"),
    "Problem": ("pinnlab.spec.problem", "Problem"),
    "Parameter": ("pinnlab.spec.problem", "Parameter"),
    "Condition": ("pinnlab.spec.problem", "Condition"),
    "Reference": ("pinnlab.spec.problem", "Reference"),
    "Observations": ("pinnlab.spec.problem", "Observations"),
    "Result": ("pinnlab.result", "Result"),
    "PinnlabError": ("pinnlab.errors", "PinnlabError"),
    "SpecError": ("pinnlab.errors", "SpecError"),
    "DataError": ("pinnlab.errors", "DataError"),
    "DivergenceError": ("pinnlab.errors", "DivergenceError"),
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pinnlab' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
