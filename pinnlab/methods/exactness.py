"""Which conditions a method imposes exactly and which stay soft penalty terms, and why.

``pinnlab check`` prints this list and ``metrics.json`` stores it under ``conditions``. The
decision itself is made where the model is built (:func:`~pinnlab.methods.constraints.
hard_constraints` for the PINN's ansatz, the periodic embedding of
:class:`~pinnlab.nn.FieldNetwork`); this module only reports it, with a short reason for every
soft condition a user might expect to be exact.
"""

from __future__ import annotations

import importlib

from ..spec.problem import Problem
from .constraints import hard_constraints

EXACT_ANSATZ = "built into the network's output (hard constraint)"
EXACT_PERIODIC = "exact periodic embedding of the coordinate"


def report(problem: Problem, module: str, cfg) -> list[dict[str, str]]:
    """One entry per condition of ``problem``, in spec order: ``name``, ``kind``, ``field``,
    ``status`` (``exact`` or ``soft``) and ``reason``, for the method implemented by the module
    named ``module`` with options ``cfg``."""
    own = getattr(importlib.import_module(module), "condition_status", None)
    if own is not None:  # a method that states its own
        status = own(problem, cfg)
    elif module.endswith(".multidomain"):
        why = "the multi-domain methods impose every condition as a penalty term"
        status = {k: ("soft", why) for k in problem.conditions}
    elif module.endswith(".lpinn"):  # its checks admit only initial and periodic conditions
        status = {k: ("exact", EXACT_PERIODIC if c.kind == "periodic" else EXACT_ANSATZ)
                  for k, c in problem.conditions.items()}
    elif module.endswith(".run"):
        status = _pinn(problem, cfg)
    else:
        status = {k: ("soft", "a penalty term (method without a report of hard constraints)")
                  for k in problem.conditions}
    return [{"name": k, "kind": c.kind, "field": c.field, "status": status[k][0],
             "reason": status[k][1]} for k, c in problem.conditions.items()]


def _pinn(problem: Problem, cfg) -> dict[str, tuple[str, str]]:
    """The PINN: see :func:`~pinnlab.methods.constraints.hard_constraints`."""
    imposed = set()
    if getattr(cfg, "hard_constraints", True):
        imposed = {k.split(".", 1)[1] for hc in hard_constraints(problem).values()
                   for k in hc.conditions}
    mapped = set(problem.bounds) | {f for g in problem.simplex.values() for f in g}
    out = {}
    for k, c in problem.conditions.items():
        if c.kind == "periodic":
            out[k] = (("exact", EXACT_PERIODIC) if getattr(cfg, "periodic_embedding", True)
                      else ("soft", "periodic_embedding = false"))
        elif k in imposed:
            out[k] = ("exact", EXACT_ANSATZ)
        elif c.kind not in ("initial", "dirichlet"):
            out[k] = ("soft", f"{c.kind}: a penalty term (only initial and "
                      "Dirichlet data are built in)")
        elif not getattr(cfg, "hard_constraints", True):
            out[k] = ("soft", "hard_constraints = false")
        elif c.field in mapped:
            out[k] = ("soft", f"field {c.field!r} has bounds or is in a simplex: its output map "
                      "is kept, its data stay penalty terms")
        elif c.kind == "initial":
            out[k] = ("soft", f"an initial condition on the time derivative of order "
                      f"{c.derivative} is a penalty term")
        else:
            out[k] = ("soft", _dirichlet_reason(problem, c.field))
    return out


def _dirichlet_reason(problem: Problem, field: str) -> str:
    """Why the Dirichlet data of ``field`` are not built in."""
    coords, faces = [], 0
    for k, c in problem.conditions.items():
        if c.kind == "dirichlet" and c.field == field:
            for coord, _, sign in problem.boundary(c, f"conditions.{k}"):
                if sign == 0:
                    return "Dirichlet data inside the domain are a penalty term"
                faces += 1
                if coord not in coords:
                    coords.append(coord)
    if len(coords) > 1:
        return (f"Dirichlet data on several coordinates ({', '.join(coords)}): only the two "
                "ends of one coordinate can be built in")
    if faces > 2:
        return f"{faces} Dirichlet conditions on the ends of {coords[0]}: at most two are built in"
    return "the Dirichlet data disagree with the initial data at the corners"
