"""Reference solutions: exact and classical solvers, looked up by name from a spec.

``[reference] solver = "NAME"`` in a spec calls ``SOLVERS[NAME](problem, mesh, **options)``, which
returns ``{field: array}`` on ``mesh`` (``{coordinate: array}`` from ``np.meshgrid(...,
indexing="ij")``). Solvers read the problem's parameters and initial condition by name, so a
``--set nu=...`` override changes the reference too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import SpecError


@dataclass
class ReferenceSolution:
    """Fields on a tensor grid: ``axes[c]`` is 1-D, ``fields[f]`` has shape ``(len(axes[c]) for c
    in coordinate order)``; ``params``: true values the solver computed (an eigenvalue such as
    a flame speed), against which estimates are scored."""

    axes: dict[str, np.ndarray]
    fields: dict[str, np.ndarray]
    params: dict[str, float] = field(default_factory=dict)

    def mesh(self) -> dict[str, np.ndarray]:
        grids = np.meshgrid(*self.axes.values(), indexing="ij")
        return dict(zip(self.axes, grids))


def noisy_samples(x: np.ndarray, profiles: dict[str, np.ndarray], n: int, noise: float,
                  seed: int = 0) -> dict[str, np.ndarray]:
    """Synthetic observations of 1-D profiles: ``n`` uniformly spaced points of ``x``, each
    profile interpolated there with multiplicative noise ``y (1 + noise N(0, 1))``; returns the
    columns ``{"x": ..., name: ...}`` (one ``numpy`` generator, seeded, draws the noise of each
    profile in turn)."""
    rng = np.random.default_rng(seed)
    xo = np.linspace(x[0], x[-1], n)
    out = {"x": xo}
    for name, y in profiles.items():
        out[name] = np.interp(xo, x, y) * (1.0 + noise * rng.standard_normal(n))
    return out


def initial_condition(problem, field: str) -> Callable[[np.ndarray], np.ndarray]:
    """The spec's initial condition of ``field`` as a numpy function of the space coordinate."""
    import torch

    from ..expr import Symbol

    for key, c in problem.conditions.items():
        if c.kind == "initial" and c.field == field and c.derivative == 0:
            expr = problem.expression(c.value, f"conditions.{key}.value", with_fields=False)
            space = problem.space[0]
            params = {Symbol("param", k): p.nominal for k, p in problem.parameters.items()}

            def u0(y, expr=expr, params=params, space=space):
                env = {**params, Symbol("coord", space): torch.as_tensor(y, dtype=torch.float64)}
                out = expr.evaluate(env)
                return np.broadcast_to(np.asarray(out, dtype=float), np.shape(y)).copy()

            return u0
    raise SpecError(f"the reference solver needs an initial condition for {field!r}",
                    file=problem.source, key="conditions")


def _param(problem, name: str, default: float | None = None) -> float:
    p = problem.parameters.get(name)
    if p is None:
        if default is not None:
            return default
        raise SpecError(f"the reference solver needs parameter {name!r}", file=problem.source,
                        key="parameters")
    if p.value is None:  # unknown in this spec: its true value must be given to the reference
        raise SpecError(f"parameter {name!r} is unknown; give its true value as "
                        f"[reference] {name} = ...", file=problem.source, key="reference")
    return p.value


class Options(BaseModel):
    """A reference solver's options (beside ``solver`` in the ``[reference]`` table)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    field: str = "u"


class ViscousOptions(Options):
    viscosity: str = "nu"


class BurgersOptions(ViscousOptions):
    nodes: Annotated[int, Field(ge=16, le=4000)] = 400


class ConvectionOptions(ViscousOptions):
    speed: str = "beta"
    modes: Annotated[int, Field(ge=16, le=2**16)] = 1024


class PeriodicBurgersOptions(ViscousOptions):
    scheme: Literal["cole_hopf", "spectral"] = "cole_hopf"
    nodes: Annotated[int, Field(ge=16, le=4000)] = 400
    modes: Annotated[int, Field(ge=16, le=2**14)] = 1024
    dt: Annotated[float, Field(ge=1e-6, le=1, allow_inf_nan=False)] = 2e-4


class KdVOptions(Options):
    coefficient: str = "c"
    modes: Annotated[int, Field(ge=16, le=2**14)] = 512
    dt: Annotated[float, Field(ge=1e-6, le=1, allow_inf_nan=False)] = 2e-4


class PoissonOptions(Options):
    source: str
    n: Annotated[int, Field(ge=8, le=1024)] = 256


def _burgers(problem, mesh, o: BurgersOptions):
    from .burgers import burgers_cole_hopf

    x, t = mesh[problem.space[0]], mesh[problem.time]
    u0 = initial_condition(problem, o.field)
    text = next(c.value for c in problem.conditions.values()
                if c.kind == "initial" and c.field == o.field)
    exact = str(text).replace(" ", "") == "-sin(pi*x)"
    return {o.field: burgers_cole_hopf(x, t, _param(problem, o.viscosity),
                                       u0=None if exact else u0, nodes=o.nodes)}


def _convection(problem, mesh, o: ConvectionOptions):
    from .convection import convection_diffusion_spectral, convection_exact

    space = problem.space[0]
    x, t = mesh[space], mesh[problem.time]
    beta, nu = _param(problem, o.speed), _param(problem, o.viscosity, 0.0)
    u0 = initial_condition(problem, o.field)
    period = problem.domain[space]
    if nu == 0.0:
        return {o.field: convection_exact(x, t, beta, u0, period)}
    return {o.field: convection_diffusion_spectral(x, t, beta, nu, u0, period, modes=o.modes)}


def _burgers_periodic(problem, mesh, o: PeriodicBurgersOptions):
    """Periodic Burgers with any mean (moving front): ``scheme`` = ``cole_hopf`` (moving frame,
    default) or ``spectral`` (ETDRK4); see :mod:`pinnlab.reference.burgers_periodic`."""
    from .burgers_periodic import burgers_moving_frame, burgers_spectral

    space = problem.space[0]
    args = (mesh[space], mesh[problem.time], _param(problem, o.viscosity),
            initial_condition(problem, o.field), problem.domain[space])
    if o.scheme == "spectral":
        return {o.field: burgers_spectral(*args, modes=o.modes, dt=o.dt)}
    return {o.field: burgers_moving_frame(*args, nodes=o.nodes)}


def _kdv(problem, mesh, o: KdVOptions):
    """Periodic KdV ``u_t + c u u_x + u_xxx = 0`` by ETDRK4 (:func:`~.spectral.kdv_spectral`)."""
    from .spectral import kdv_spectral

    space = problem.space[0]
    return {o.field: kdv_spectral(mesh[space], mesh[problem.time],
                                  _param(problem, o.coefficient),
                                  initial_condition(problem, o.field), problem.domain[space],
                                  modes=o.modes, dt=o.dt)}


def _exact(problem, mesh, fields: dict):
    from .exact import exact

    return exact(problem, mesh, **fields)


def _check_exact(problem, options: dict) -> dict:
    """``[reference] u = "..."``: one expression of the coordinates and parameters per
    field."""
    for k, v in options.items():
        if k not in problem.fields:
            raise SpecError(f"unknown key {k!r}: the exact reference takes one expression per "
                            f"field ({', '.join(problem.fields)})", file=problem.source,
                            key=f"reference.{k}")
        problem.expression(v, f"reference.{k}", with_fields=False)
    missing = [f for f in problem.fields if f not in options]
    if missing:
        raise SpecError(f"give the exact solution of {missing[0]!r} as [reference] "
                        f"{missing[0]} = \"...\"", file=problem.source, key="reference")
    return dict(options)


def _poisson(problem, mesh, o: PoissonOptions):
    from .exact import poisson_fd

    return poisson_fd(problem, mesh, source=o.source, field=o.field, n=o.n)


@dataclass(frozen=True)
class Solver:
    """A registered reference solver: ``fn(problem, mesh, options) -> {field: array}`` (or
    ``({field: array}, {parameter: true value})``) and either an options model or a
    ``check(problem, options) -> options`` of its own."""

    fn: Callable
    options: type[BaseModel] | None = None
    check: Callable | None = None


SOLVERS: dict[str, Solver] = {
    "burgers_cole_hopf": Solver(_burgers, BurgersOptions),
    "exact": Solver(_exact, check=_check_exact),
    "kdv_spectral": Solver(_kdv, KdVOptions),
    "poisson_fd": Solver(_poisson, PoissonOptions),
    "burgers_periodic": Solver(_burgers_periodic, PeriodicBurgersOptions),
    "convection": Solver(_convection, ConvectionOptions),
}


class GPMEOptions(Options):
    """The exact GPME solutions (:mod:`pinnlab.reference.gpme`): ``family`` and the name of
    its parameter (``k``, ``m``, ``u_star`` by default)."""

    family: Literal["diffusion", "pme", "stefan"]
    parameter: str = ""


def _gpme(problem, mesh, o: GPMEOptions):
    from . import gpme

    name, fn = o.parameter or gpme.PARAMETER[o.family], gpme.SOLUTION[o.family]
    if problem.time is None or len(problem.space) != 1:
        raise SpecError("the gpme reference needs one space coordinate and time",
                        file=problem.source, key="domain")
    return {o.field: fn(mesh[problem.time], mesh[problem.space[0]], _param(problem, name))}


SOLVERS["gpme"] = Solver(_gpme, GPMEOptions)


def _lazy(name: str, function: str, options: str) -> Solver:
    """A solver of :mod:`pinnlab.reference.flames` (imported on first use: it needs the flame
    physics and, for some, Cantera)."""

    def solve(problem, mesh, o):
        from . import flames

        return getattr(flames, function)(problem, mesh, o)

    def check(problem, rest):
        from . import flames

        return _validated(name, getattr(flames, options), problem, rest)

    return Solver(solve, check=check)


SOLVERS["flame_shooting"] = _lazy("flame_shooting", "flame_shooting", "ShootingOptions")
SOLVERS["cantera_free_flame"] = _lazy("cantera_free_flame", "cantera_free_flame",
                                      "FreeFlameOptions")
SOLVERS["cantera_counterflow"] = _lazy("cantera_counterflow", "cantera_counterflow",
                                       "CounterflowOptions")


def register(name: str, fn: Callable, options: type[BaseModel] | None = None,
             check: Callable | None = None) -> None:
    """Add a reference solver ``fn(problem, mesh, options) -> {field: array}``, with its
    options model (a pydantic model) or its own ``check``."""
    SOLVERS[name] = Solver(fn, options, check)


def check_reference(problem):
    """Validate the ``[reference]`` table of ``problem`` without solving; return the solver's
    validated options and the true parameter values it names.

    Options named like a parameter of the problem are true values (``nu = 0.0032``): they
    set that parameter for the reference and score the estimate.
    """
    ref = problem.reference
    if ref.solver not in SOLVERS:
        raise SpecError(f"unknown reference solver {ref.solver!r} (known: "
                        f"{', '.join(sorted(SOLVERS))})", file=problem.source,
                        key="reference.solver")
    truths, rest = {}, {}
    for k, v in ref.options.items():
        if k in problem.parameters:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not abs(v) < 1e308:
                raise SpecError("a true parameter value is a finite number", file=problem.source,
                                key=f"reference.{k}")
            truths[k] = float(v)
        else:
            rest[k] = v
    solver = SOLVERS[ref.solver]
    if solver.check is not None:
        options = solver.check(problem, rest)
    else:
        options = _validated(ref.solver, solver.options, problem, rest)
        dt, modes = getattr(options, "dt", None), getattr(options, "modes", 0)
        if dt is not None and problem.time is not None:
            t0, t1 = problem.domain[problem.time]
            if (t1 - t0) / dt * modes > 2e10:
                raise SpecError(f"{(t1 - t0) / dt:.3g} time steps of {modes} modes is too much "
                                "work for a reference; raise dt or lower modes",
                                file=problem.source, key="reference.dt")
    points = int(np.prod([ref.grid.get(c, 101) for c in problem.domain], dtype=float))
    if points > 2**22:
        raise SpecError(f"the reference grid has {points} points (at most {2**22})",
                        file=problem.source, key="reference.grid")
    return options, truths


def _validated(name: str, model: type[BaseModel], problem, rest: dict) -> BaseModel:
    """``rest`` validated as the options of solver ``name``; ``field`` must be a field."""
    from ..options import describe

    try:
        options = model(**rest)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        raise SpecError(describe(err, model, key) + f" (solver {name!r})",
                        file=problem.source, key=f"reference.{key}") from None
    if options.field not in problem.fields:
        raise SpecError(f"{options.field!r} is not a field", file=problem.source,
                        key="reference.field")
    return options


def reference_solution(problem, grid: dict[str, int] | None = None) -> ReferenceSolution | None:
    """Evaluate the problem's reference on its grid (default 101 points per coordinate)."""
    ref = problem.reference
    if ref is None:
        return None
    if ref.file is not None:
        from ..spec.toml import reference_arrays

        data = reference_arrays(ref.file, problem.coords, list(problem.fields),
                                source=problem.source)
        truths = {}
        for k in problem.unknowns:  # a true value stored as a scalar array of its name
            if k in data:
                v = np.asarray(data[k], dtype=float)
                if v.size != 1 or not np.isfinite(v).all():
                    raise SpecError(f"reference file: {k!r} must hold one finite number",
                                    file=problem.source, key="reference.file")
                truths[k] = float(v.reshape(()))
        return ReferenceSolution({c: data[c] for c in problem.coords},
                                 {f: data[f] for f in problem.fields}, truths)
    options, truths = check_reference(problem)
    target = problem.with_parameters(truths) if truths else problem
    sizes = {**ref.grid, **(grid or {})}
    axes = {c: np.linspace(lo, hi, int(sizes.get(c, 101))) for c, (lo, hi) in
            problem.domain.items()}
    sol = ReferenceSolution(axes, {})
    out = SOLVERS[ref.solver].fn(target, sol.mesh(), options)
    sol.fields, sol.params = out if isinstance(out, tuple) else (out, {})
    return sol


from . import diffusion  # noqa: E402,F401  (registers heat_sine and darcy_fd)
