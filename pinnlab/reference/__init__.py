"""Reference solutions: exact and classical solvers, looked up by name from a spec.

``[reference] solver = "NAME"`` in a spec calls ``SOLVERS[NAME](problem, mesh, **options)``, which
returns ``{field: array}`` on ``mesh`` (``{coordinate: array}`` from ``np.meshgrid(...,
indexing="ij")``). Solvers read the problem's parameters and initial condition by name, so a
``--set nu=...`` override changes the reference too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import SpecError


@dataclass
class ReferenceSolution:
    """Fields on a tensor grid: ``axes[c]`` is 1-D, ``fields[f]`` has shape ``(len(axes[c]) for c
    in coordinate order)``."""

    axes: dict[str, np.ndarray]
    fields: dict[str, np.ndarray]

    def mesh(self) -> dict[str, np.ndarray]:
        grids = np.meshgrid(*self.axes.values(), indexing="ij")
        return dict(zip(self.axes, grids))


def initial_condition(problem, field: str) -> Callable[[np.ndarray], np.ndarray]:
    """The spec's initial condition of ``field`` as a numpy function of the space coordinate."""
    import torch

    from ..expr import Symbol

    for key, c in problem.conditions.items():
        if c.kind == "initial" and c.field == field and c.derivative == 0:
            expr = problem.expression(c.value, f"conditions.{key}.value", with_fields=False)
            space = problem.space[0]
            params = {Symbol("param", k): p.value if p.value is not None else p.guess
                      for k, p in problem.parameters.items()}

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


def _burgers(problem, mesh, *, field="u", viscosity="nu", **opts):
    from .burgers import burgers_cole_hopf

    x, t = mesh[problem.space[0]], mesh[problem.time]
    nu = float(opts.pop(viscosity)) if viscosity in opts else _param(problem, viscosity)
    u0 = initial_condition(problem, field)
    text = next(c.value for c in problem.conditions.values()
                if c.kind == "initial" and c.field == field)
    exact = str(text).replace(" ", "") == "-sin(pi*x)"
    return {field: burgers_cole_hopf(x, t, nu, u0=None if exact else u0, **opts)}


def _convection(problem, mesh, *, field="u", speed="beta", viscosity="nu", **opts):
    from .convection import convection_diffusion_spectral, convection_exact

    space = problem.space[0]
    x, t = mesh[space], mesh[problem.time]
    beta = float(opts.pop(speed)) if speed in opts else _param(problem, speed)
    nu = float(opts.pop(viscosity)) if viscosity in opts else _param(problem, viscosity, 0.0)
    u0 = initial_condition(problem, field)
    period = problem.domain[space]
    if nu == 0.0:
        return {field: convection_exact(x, t, beta, u0, period)}
    return {field: convection_diffusion_spectral(x, t, beta, nu, u0, period, **opts)}


def _burgers_periodic(problem, mesh, *, field="u", viscosity="nu", scheme="cole_hopf", **opts):
    """Periodic Burgers with any mean (moving front): ``scheme`` = ``cole_hopf`` (moving frame,
    default) or ``spectral`` (ETDRK4); see :mod:`pinnlab.reference.burgers_periodic`."""
    from .burgers_periodic import burgers_moving_frame, burgers_spectral

    space = problem.space[0]
    nu = float(opts.pop(viscosity)) if viscosity in opts else _param(problem, viscosity)
    solver = {"cole_hopf": burgers_moving_frame, "spectral": burgers_spectral}.get(scheme)
    if solver is None:
        raise SpecError(f"scheme must be cole_hopf or spectral, got {scheme!r}",
                        file=problem.source, key="reference.scheme")
    return {field: solver(mesh[space], mesh[problem.time], nu, initial_condition(problem, field),
                          problem.domain[space], **opts)}


def _kdv(problem, mesh, *, field="u", coefficient="c", **opts):
    """Periodic KdV ``u_t + c u u_x + u_xxx = 0`` by ETDRK4 (:func:`~.spectral.kdv_spectral`)."""
    from .spectral import kdv_spectral

    space = problem.space[0]
    c = float(opts.pop(coefficient)) if coefficient in opts else _param(problem, coefficient)
    return {field: kdv_spectral(mesh[space], mesh[problem.time], c,
                                initial_condition(problem, field), problem.domain[space], **opts)}


def _exact(problem, mesh, **fields):
    from .exact import exact

    return exact(problem, mesh, **fields)


def _poisson(problem, mesh, **opts):
    from .exact import poisson_fd

    return poisson_fd(problem, mesh, **opts)


SOLVERS: dict[str, Callable] = {
    "burgers_cole_hopf": _burgers,
    "exact": _exact,
    "kdv_spectral": _kdv,
    "poisson_fd": _poisson,
    "burgers_periodic": _burgers_periodic,
    "convection": _convection,
}


def register(name: str, solver: Callable) -> None:
    """Add a reference solver ``solver(problem, mesh, **options) -> {field: array}``."""
    SOLVERS[name] = solver


def reference_solution(problem, grid: dict[str, int] | None = None) -> ReferenceSolution | None:
    """Evaluate the problem's reference on its grid (default 101 points per coordinate)."""
    ref = problem.reference
    if ref is None:
        return None
    if ref.file is not None:
        data = np.load(ref.file)
        missing = [n for n in [*problem.coords, *problem.fields] if n not in data]
        if missing:
            raise SpecError(f"reference file lacks arrays {missing}", file=ref.file,
                            key="reference.file")
        return ReferenceSolution({c: data[c] for c in problem.coords},
                                 {f: data[f] for f in problem.fields})
    if ref.solver not in SOLVERS:
        raise SpecError(f"unknown reference solver {ref.solver!r} (known: "
                        f"{', '.join(sorted(SOLVERS))})", file=problem.source,
                        key="reference.solver")
    sizes = {**ref.grid, **(grid or {})}
    axes = {c: np.linspace(lo, hi, int(sizes.get(c, 101))) for c, (lo, hi) in
            problem.domain.items()}
    sol = ReferenceSolution(axes, {})
    try:
        sol.fields = SOLVERS[ref.solver](problem, sol.mesh(), **dict(ref.options))
    except (TypeError, ValueError) as exc:  # an unknown option name, a string for a number
        options = ", ".join(f"{k} = {v!r}" for k, v in ref.options.items()) or "none"
        raise SpecError(f"reference solver {ref.solver!r} rejects its options ({options}): "
                        f"{exc}", file=problem.source, key="reference") from None
    return sol
