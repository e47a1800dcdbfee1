"""Which conditions a method imposes exactly and which stay soft penalty terms, and why.

``pinnlab check`` prints this list and ``metrics.json`` stores it under ``conditions``. Each
method module states its own decision as ``condition_status(problem, cfg) -> {condition:
(status, reason)}`` (the PINN's in :func:`pinnlab.methods.constraints.condition_status`, next to
the ansatz that makes it); this module only collects it, with a short reason for every soft
condition a user might expect to be exact.
"""

from __future__ import annotations

import importlib

from ..spec.problem import Problem

EXACT_ANSATZ = "built into the network's output (hard constraint)"
EXACT_PERIODIC = "exact periodic embedding of the coordinate"


def report(problem: Problem, module: str, cfg) -> list[dict[str, str]]:
    """One entry per condition of ``problem``, in spec order: ``name``, ``kind``, ``field``,
    ``status`` (``exact`` or ``soft``) and ``reason``, for the method implemented by the module
    named ``module`` with options ``cfg``."""
    own = getattr(importlib.import_module(module), "condition_status", None)
    if own is not None:  # a method states its own: condition_status(problem, cfg)
        status = own(problem, cfg)
    else:
        status = {k: ("soft", "a penalty term (method without a report of hard constraints)")
                  for k in problem.conditions}
    return [{"name": k, "kind": c.kind, "field": c.field, "status": status[k][0],
             "reason": status[k][1]} for k, c in problem.conditions.items()]
