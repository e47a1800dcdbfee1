"""The GPME problem family as Python objects, built from a core-language spec.

A :class:`GPMEProblem` names one member of u_t - (k(u) u_x)_x = 0 (diffusion, porous medium or
Stefan), its space-time box, the range its family parameter is drawn from for training, the values
it is tested at, and the analysis time. Exact field and exact mass come from
:mod:`pinnlab.reference.gpme`.

The specs (``problems/gpme_*.toml``) are ordinary problem specs: the equation in conservative
form, the conditions, ``[family]`` (the training range of the family parameter),
``[conservation]`` (the conserved density, the evaluation time and the tested parameter values,
the grid and data sizes) and ``[reference] solver = "gpme"`` (the family). :func:`from_spec`
reads them; PINNs train on the same files with ``pinnlab solve``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pinnlab.errors import SpecError
from pinnlab.reference import gpme

FAMILIES = tuple(gpme.PARAMETER)


@dataclass(frozen=True)
class GPMEProblem:
    """One GPME benchmark; ranges are (low, high), ``parameter`` names the family parameter."""

    family: str
    x_range: tuple[float, float]
    t_range: tuple[float, float]
    train_range: tuple[float, float]
    test_values: tuple[float, ...]
    eval_time: float
    periodic: bool = False
    n_test: int = 50
    n_grid: int = 201
    n_context: int = 100
    n_target: int = 100
    t_slots: int = 10
    source: str | None = field(default=None, compare=False)
    spec: object = field(default=None, compare=False, repr=False)  # the Problem it came from

    def __post_init__(self) -> None:
        """What the spec loader cannot know: every family value the benchmark uses has an
        exact solution, and the PME front stays inside the domain. (Ranges, the evaluation
        time and the data sizes are checked by the loader.)"""
        lo, hi = self.train_range
        for value in (lo, hi, *self.test_values):
            self.solution(np.array(0.0), np.array(0.0), value)  # raises SpecError if out of range
        if self.family == "pme" and self.t_range[1] > self.x_range[1]:
            raise SpecError("the PME front x* = t must stay inside the domain: need t_max <= "
                            "x_max", key="domain.t", file=self.source)

    @property
    def parameter(self) -> str:
        return gpme.PARAMETER[self.family]

    def solution(self, t: np.ndarray, x: np.ndarray, p: float) -> np.ndarray:
        """Exact u(t, x) for family parameter p (float64)."""
        return gpme.SOLUTION[self.family](t, x, p)

    def mass(self, t: np.ndarray | float, p: float) -> np.ndarray:
        """Exact U(t) = ∫ u(t, x) dx over the domain; a time outside domain.t raises DataError."""
        from pinnlab.errors import DataError

        tt = np.asarray(t, dtype=np.float64)
        lo, hi = self.t_range
        if not np.all(np.isfinite(tt)) or np.any(tt < lo) or np.any(tt > hi):
            raise DataError(
                f"mass constraint requested at t outside the time domain [{lo}, {hi}]",
                key="constraint.t",
                file=self.source,
            )
        return gpme.MASS[self.family](tt, p)

    def x_grid(self, n: int | None = None) -> np.ndarray:
        """The uniform evaluation grid in x with both end points (``n_grid`` points by default)."""
        return np.linspace(*self.x_range, n or self.n_grid)


def builtin_problem(family: str) -> GPMEProblem:
    """The ProbConserv setups (methods.md §4.1): the bundled ``problems/gpme_<family>.toml``."""
    if family not in FAMILIES:
        raise SpecError(f"unknown GPME family {family!r}; use one of {FAMILIES}",
                        key="problem.family")
    return load_problem(Path(__file__).resolve().parents[2] / "problems" / f"gpme_{family}.toml")


def from_spec(problem) -> GPMEProblem:
    """The :class:`GPMEProblem` of a core-language GPME spec (``problems/gpme_*.toml``): the
    family from ``[reference] solver = "gpme"``, the training range from ``[family]`` and the
    evaluation set-up from ``[conservation]``."""
    ref, src = problem.reference, problem.source
    if ref is None or ref.solver != "gpme":
        raise SpecError("ProbConserv needs a GPME spec ([reference] solver = \"gpme\")",
                        file=src, key="reference.solver")
    family = ref.options["family"]
    name = ref.options.get("parameter") or gpme.PARAMETER[family]
    if name not in problem.family:
        raise SpecError(f"give the training range of {name!r} in [family]", file=src,
                        key="family")
    c = problem.conservation
    if c is None or c.time is None:
        raise SpecError("give the evaluation time as [conservation] time = ...", file=src,
                        key="conservation.time")
    x = problem.space[0]
    periodic = any(k.kind == "periodic" for k in problem.conditions.values())
    lo, hi = problem.family[name]
    return GPMEProblem(
        family=family, x_range=problem.domain[x], t_range=problem.domain[problem.time],
        train_range=(lo, hi), test_values=tuple(c.test or (lo, hi)), eval_time=float(c.time),
        periodic=periodic, n_test=c.n_test, n_grid=c.n_grid, n_context=c.n_context,
        n_target=c.n_target, t_slots=c.t_slots, source=src, spec=problem)


def load_problem(path: str | Path) -> GPMEProblem:
    """Read a ``problems/gpme_*.toml`` spec (the one spec language, :func:`pinnlab.load`)."""
    from pinnlab.api import load

    return from_spec(load(path))
