"""The GPME problem family as Python objects, and a thin TOML layer over it.

A :class:`GPMEProblem` names one member of u_t - (k(u) u_x)_x = 0 (diffusion, porous medium or
Stefan), its space-time box, the range its family parameter is drawn from for training, the values
it is tested at, and the analysis time. Exact field and exact mass come from
:mod:`pinnlab.reference.gpme`.

TOML layout (``problems/gpme_*.toml``)::

    [problem]   family = "stefan"
    [domain]    x = [0.0, 1.0]   t = [0.0, 0.1]   periodic = false
    [fields]    u = "temperature-like conserved quantity"
    [parameters.u_star]  train = [0.55, 0.7]   test = [0.5, 0.6]
    [equations] pde = "u_t - (k(u)*u_x)_x"  k = "1 if u >= u_star else 0"   (documentation only)
    [evaluation] t = 0.05  n_test = 50  n_grid = 201
    [data]      n_context = 100  n_target = 100  t_slots = 10
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pinnlab.errors import SpecError
from pinnlab.reference import gpme

FAMILIES = ("diffusion", "pme", "stefan")
PARAMETER_OF = {"diffusion": "k", "pme": "m", "stefan": "u_star"}


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

    def __post_init__(self) -> None:
        where = {"file": self.source}
        if self.family not in FAMILIES:
            raise SpecError(
                f"unknown GPME family {self.family!r}; use one of {FAMILIES}",
                key="problem.family",
                **where,
            )
        for key, (lo, hi) in (("domain.x", self.x_range), ("domain.t", self.t_range)):
            if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
                raise SpecError(
                    f"range must be [low, high] with high > low, got {[lo, hi]}", key=key, **where
                )
        if not self.t_range[0] <= self.eval_time <= self.t_range[1]:
            raise SpecError(
                f"evaluation time {self.eval_time} outside domain.t {list(self.t_range)}",
                key="evaluation.t",
                **where,
            )
        lo, hi = self.train_range
        if not hi >= lo:
            raise SpecError(
                "train range must be [low, high]", key=f"parameters.{self.parameter}.train", **where
            )
        for value in (lo, hi, *self.test_values):
            self.solution(np.array(0.0), np.array(0.0), value)  # raises SpecError if out of range
        if self.family == "pme" and self.t_range[1] > self.x_range[1]:
            raise SpecError(
                "the PME front x* = t must stay inside the domain: need t_max <= x_max",
                key="domain.t",
                **where,
            )
        if self.n_context % self.t_slots or self.n_target % self.t_slots:
            raise SpecError(
                "n_context and n_target must be multiples of t_slots", key="data", **where
            )

    @property
    def parameter(self) -> str:
        return PARAMETER_OF[self.family]

    def solution(self, t: np.ndarray, x: np.ndarray, p: float) -> np.ndarray:
        """Exact u(t, x) for family parameter p (float64)."""
        fn = {
            "diffusion": gpme.diffusion_solution,
            "pme": gpme.pme_solution,
            "stefan": gpme.stefan_solution,
        }[self.family]
        return fn(t, x, p)

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
        fn = {"diffusion": gpme.diffusion_mass, "pme": gpme.pme_mass, "stefan": gpme.stefan_mass}
        return fn[self.family](tt, p)

    def conductivity(self, u, p: float):
        """k(u) for numpy arrays or torch tensors: k, u^m (u clipped at 0) or 1[u ≥ u*]."""
        if self.family == "diffusion":
            return u * 0 + p
        if self.family == "pme":
            return (u.clip(min=0.0) if hasattr(u, "clip") else np.clip(u, 0, None)) ** p
        return (u >= p) * 1.0

    def x_grid(self, n: int | None = None) -> np.ndarray:
        """The uniform evaluation grid in x with both end points (``n_grid`` points by default)."""
        return np.linspace(*self.x_range, n or self.n_grid)


def builtin_problem(family: str) -> GPMEProblem:
    """The ProbConserv setups (methods.md §4.1) without reading a file."""
    if family == "diffusion":
        return GPMEProblem(
            "diffusion", (0.0, 2 * math.pi), (0.0, 1.0), (1.0, 5.0), (1.0, 5.0), 0.5, periodic=True
        )
    if family == "pme":
        return GPMEProblem("pme", (0.0, 1.0), (0.0, 1.0), (1.0, 6.0), (1.0, 3.0, 6.0), 0.5)
    if family == "stefan":
        return GPMEProblem("stefan", (0.0, 1.0), (0.0, 0.1), (0.55, 0.7), (0.5, 0.6), 0.05)
    raise SpecError(f"unknown GPME family {family!r}; use one of {FAMILIES}", key="problem.family")


def _get(table: dict, key: str, path: str, dotted: str):
    if key not in table:
        raise SpecError(f"missing key {key!r}", file=path, key=dotted)
    return table[key]


def _pair(value, path: str, key: str) -> tuple[float, float]:
    if not (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int | float) for v in value)
    ):
        raise SpecError(f"expected [low, high], got {value!r}", file=path, key=key)
    return float(value[0]), float(value[1])


def load_problem(path: str | Path) -> GPMEProblem:
    """Read a ``problems/gpme_*.toml`` spec into a :class:`GPMEProblem` (see module docstring)."""
    from pinnlab.spec.toml import read_toml

    path = str(path)
    spec = read_toml(path)
    try:
        return _problem(spec, path)
    except (TypeError, ValueError, AttributeError, OverflowError):
        raise SpecError("a value has the wrong type (see problems/gpme_*.toml)",
                        file=path) from None


def _problem(spec: dict, path: str) -> GPMEProblem:
    family = _get(_get(spec, "problem", path, "problem"), "family", path, "problem.family")
    if family not in FAMILIES:
        raise SpecError(
            f"unknown GPME family {family!r}; use one of {FAMILIES}",
            file=path,
            key="problem.family",
        )
    domain = _get(spec, "domain", path, "domain")
    name = PARAMETER_OF[family]
    par = _get(_get(spec, "parameters", path, "parameters"), name, path, f"parameters.{name}")
    ev = spec.get("evaluation", {})
    data = spec.get("data", {})
    if "u" not in spec.get("fields", {}):
        raise SpecError("the GPME has one field named 'u'", file=path, key="fields")
    test = _get(par, "test", path, f"parameters.{name}.test")
    return GPMEProblem(
        family=family,
        x_range=_pair(_get(domain, "x", path, "domain.x"), path, "domain.x"),
        t_range=_pair(_get(domain, "t", path, "domain.t"), path, "domain.t"),
        train_range=_pair(
            _get(par, "train", path, f"parameters.{name}.train"), path, f"parameters.{name}.train"
        ),
        test_values=tuple(float(v) for v in (test if isinstance(test, list) else [test])),
        eval_time=float(_get(ev, "t", path, "evaluation.t")),
        periodic=bool(domain.get("periodic", False)),
        n_test=int(ev.get("n_test", 50)),
        n_grid=int(ev.get("n_grid", 201)),
        n_context=int(data.get("n_context", 100)),
        n_target=int(data.get("n_target", 100)),
        t_slots=int(data.get("t_slots", 10)),
        source=path,
    )
