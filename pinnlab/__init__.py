"""pinnlab: physics-informed neural networks and PDE inverse problems from declarative specs.

Public API (heavy modules load on first use)::

    import pinnlab
    problem = pinnlab.load("problems/burgers.toml")
    result = pinnlab.solve(problem, adam_steps=2000)
    result.metrics["rel_l2"], result.predict({"x": x, "t": t})["u"]
    later = pinnlab.load_result("runs/burgers")   # the output folder of a finished solve
"""

from __future__ import annotations

from . import lazy

__version__ = "0.1.0"

__getattr__, __all__ = lazy.exports(__name__, {
    "load": ".api", "solve": ".api", "load_result": ".api",
    "Problem": ".spec.problem", "Parameter": ".spec.problem", "Condition": ".spec.problem",
    "Reference": ".spec.problem", "Observations": ".spec.problem",
    "Result": ".result",
    "PinnlabError": ".errors", "SpecError": ".errors", "DataError": ".errors",
    "DivergenceError": ".errors",
})


def __dir__():
    return sorted(list(globals()) + __all__)
