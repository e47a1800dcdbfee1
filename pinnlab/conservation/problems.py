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


class _Document:
    """The GPME spec's tables as a schema (strict types, unknown keys refused)."""

    @staticmethod
    def model():
        from typing import Annotated, Literal

        from pydantic import Field

        from pinnlab.spec.schema import Number, NumberRange, Table

        Int = Annotated[int, Field(ge=1, le=100_000)]

        class Problem(Table):
            family: Literal[FAMILIES]

        class Domain(Table):
            x: NumberRange
            t: NumberRange
            periodic: bool = False

        class Parameter(Table):
            train: NumberRange
            test: Annotated[list[Number], Field(min_length=1, max_length=64)] | Number

        class Evaluation(Table):
            t: Number
            n_test: Annotated[int, Field(ge=2, le=10_000)] = 50
            n_grid: Annotated[int, Field(ge=3, le=100_000)] = 201

        class Data(Table):
            n_context: Int = 100
            n_target: Int = 100
            t_slots: Int = 10

        class Document(Table):
            problem: Problem
            domain: Domain
            fields: dict[Literal["u"], str]
            parameters: dict[str, Parameter]
            equations: dict[str, str] = Field(default_factory=dict)
            evaluation: Evaluation
            data: Data = Field(default_factory=Data)

        return Document


def load_problem(path: str | Path) -> GPMEProblem:
    """Read a ``problems/gpme_*.toml`` spec into a :class:`GPMEProblem` (see module docstring)."""
    from pinnlab.spec.schema import validate
    from pinnlab.spec.toml import read_toml

    path = str(path)
    doc = validate(read_toml(path), source=path, model=_Document.model())
    name = PARAMETER_OF[doc.problem.family]
    if "u" not in doc.fields:
        raise SpecError("the GPME has one field named 'u'", file=path, key="fields")
    if set(doc.parameters) != {name}:
        raise SpecError(f"the {doc.problem.family} family has one parameter, {name!r}",
                        file=path, key="parameters")
    par = doc.parameters[name]
    test = par.test if isinstance(par.test, list) else [par.test]
    (x0, x1), (t0, t1) = doc.domain.x, doc.domain.t
    if not (x0 < x1 and t0 < t1):
        raise SpecError("ranges are [low, high] with low < high", file=path, key="domain")
    if not t0 < doc.evaluation.t <= t1:
        raise SpecError(f"must lie in the time range ({t0:g}, {t1:g}]", file=path,
                        key="evaluation.t")
    return GPMEProblem(
        family=doc.problem.family, x_range=(x0, x1), t_range=(t0, t1),
        train_range=tuple(par.train), test_values=tuple(float(v) for v in test),
        eval_time=float(doc.evaluation.t), periodic=doc.domain.periodic,
        n_test=doc.evaluation.n_test, n_grid=doc.evaluation.n_grid,
        n_context=doc.data.n_context, n_target=doc.data.n_target, t_slots=doc.data.t_slots,
        source=path,
    )
