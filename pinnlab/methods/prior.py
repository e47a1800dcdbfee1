"""Reconstruction with a trained generative prior (``--method prior``): the field, and the PDE
parameter, from the spec's ``[observations]`` by guided sampling; nothing is trained.

The prior (:class:`~pinnlab.generative.prior.Prior`, trained by ``pinnlab prior train``) is a
distribution ``p(u)`` over fields on a grid: ``u`` of shape ``(C, n_1, ..., n_d)``, ``C`` the
spec's fields in order, the array axes time first, then the other coordinates in the spec's
order (as :mod:`pinnlab.generative.datasets` builds them), each axis
``linspace(low, high, n_i)`` over the spec's domain. The observations ``y_k`` of field ``c_k``
at ``x_k`` are snapped to the nearest nodes: a mask ``M`` and values ``Y``, ``(C, *grid)``.
:func:`~pinnlab.generative.guidance.reconstruct` draws ``S`` approximate posterior samples
``u_s ~ p(u | M u = M Y)`` (guidance ``dps``, ``dps_pde`` (plus the residual of the spec's
equation), ``dps_solve`` (the solved field from a reference solve of the others) or
``flowchef``); with one equation and one ``[family]`` or unknown parameter
``θ``, each sample gets the least-squares ``θ_s = argmin_θ |R(u_s, θ)|²``.

The :class:`~pinnlab.result.Result`'s ``fn`` is the multilinear interpolant of the posterior
mean ``ū = mean_s u_s``; ``metrics``: ``params`` ``{θ: mean_s θ_s}`` (scored by
``Result.evaluate`` as the PINN's estimates are), ``uncertainty`` (``std_s θ_s``, the central
95% ``interval`` of the ``θ_s`` (2.5% and 97.5% quantiles) and the grid-averaged posterior
field standard deviation), ``observed`` (observed nodes),
``guidance``, ``nfe``, ``samples`` and ``posterior_grid``; ``posterior``: the samples and
their per-node standard deviation on the grid (``posterior.npz``, a panel of ``solution.png``).
"""

from __future__ import annotations

import time
from typing import Annotated, Literal

import numpy as np
import torch
from pydantic import Field

from ..errors import SpecError
from ..options import Options, Positive
from ..result import Result
from ..spec.problem import Problem
from ..train import RunContext


class PriorOptions(Options):
    """Reconstruction from the spec's observations with a trained generative prior: guided
    posterior samples of the fields (and of the PDE parameter); nothing is trained."""

    checkpoint: str = ""
    """a prior trained by ``pinnlab prior train`` (required): a path as given to ``solve`` or
    ``--option``; in a spec, a file in the spec's folder. Read safely (weights only)."""
    guidance: Literal["auto", "dps", "dps_pde", "dps_solve", "flowchef"] = "auto"
    """dps, dps_pde (with the equation's residual; one equation with at most one [family] or
    unknown parameter), dps_solve (the solved field computed from the others by ``solver``)
    or flowchef (rectified-flow priors); auto: dps_solve when a solver is given, dps_pde when
    the equation has one parameter to fit, else dps."""
    nfe: Annotated[int, Field(ge=1, le=10**5)] = 50
    """network evaluations per sample."""
    samples: Annotated[int, Field(ge=1, le=4096)] = 8
    """posterior samples."""
    zeta: Positive = 1.0
    """the guidance step (flowchef: 1 moves the observed entries onto the data; the step of
    results/reconstruction/)."""
    pde_weight: Positive = 1.0
    """dps_pde: the weight of the residual's norm against the observations' misfit norm."""
    pde_fraction: Annotated[float, Field(gt=0, le=1)] = 0.3
    """dps_pde: the fraction of the steps, at the end, that add the residual."""
    solver: dict[str, str] = Field(default_factory=dict)
    """dps_solve: a reference solver run on every estimate, as ``{name = "darcy_fd",
    coefficient = "a", source = "1", field = "u"}`` (its options are the ``[reference]``
    solver's, expressions in the other fields; :mod:`pinnlab.generative.solver_map`)."""
    space_derivatives: Literal["sine", "central"] = "sine"
    """the residual's space derivatives on the grid: a sine projection (fields that vanish on
    the walls, smooth) or central differences (any field: a coefficient field, say)."""
    grid: dict[str, Annotated[int, Field(ge=3, le=4096)]] = Field(default_factory=dict)
    """nodes per coordinate in the prior's axis order, e.g. ``{t = 32, x = 32}`` (default: the
    prior's training grid, time first)."""


options = PriorOptions


def _load(problem: Problem, cfg: PriorOptions, device: str = "cpu"):
    """The prior (:meth:`Prior.load`: checksum, weights only). A checkpoint the spec names
    must lie in its folder, as its data files do; one given by the caller is read as given."""
    from ..generative.prior import Prior
    from ..io import option_file

    if not cfg.checkpoint:
        raise SpecError("the prior method needs a trained prior: [training] checkpoint = PATH "
                        "or --prior PATH", file=problem.source,
                        key="training.checkpoint")
    path, key = option_file(problem, "prior", "checkpoint", cfg.checkpoint)
    return Prior.load(path, device=device, key=key)


def axes(problem: Problem, cfg: PriorOptions, prior) -> dict[str, np.ndarray]:
    """The reconstruction grid ``{coordinate: nodes}`` in the prior's array-axis order."""
    order = ([problem.time] if problem.time is not None else []) + problem.space
    sizes = dict(cfg.grid) or dict(zip(order, prior.config.grid))
    if sorted(sizes) != sorted(order):
        why = (f"names {list(sizes)}" if cfg.grid else "the prior does not record its "
               "training grid")
        raise SpecError(f"{why}; give every coordinate, e.g. grid = {{"
                        + ", ".join(f"{c} = 32" for c in order) + "}", file=problem.source,
                        key="training.grid")
    return {c: np.linspace(*problem.domain[c], n) for c, n in sizes.items()}


def _guidance(problem: Problem, cfg: PriorOptions, prior) -> tuple[str, bool]:
    """The guidance to run, and whether the spec's equation is needed on the grid (for
    dps_pde, or to fit its one parameter)."""
    from ..generative.guidance import fitted_parameters

    n_fit = len(fitted_parameters(problem)) if len(problem.equations) == 1 else -1
    guidance = cfg.guidance if cfg.guidance != "auto" else (
        "dps_solve" if cfg.solver else "dps_pde" if n_fit == 1 else "dps")
    if (guidance == "dps_solve") != bool(cfg.solver):
        why = "dps_solve needs a" if cfg.solver == {} else f"guidance {guidance} takes no"
        raise SpecError(f"{why} solver table (solver = {{name = \"darcy_fd\", ...}})",
                        file=problem.source, key="training.solver")
    if guidance == "dps_pde" and n_fit not in (0, 1):
        raise SpecError("dps_pde needs one equation and at most one [family] or unknown "
                        "parameter", file=problem.source, key="training.guidance")
    if guidance == "flowchef" and prior.config.objective != "rf":
        raise SpecError("flowchef steers rectified-flow priors only (this prior: "
                        f"{prior.config.objective})", file=problem.source,
                        key="training.guidance")
    return guidance, guidance == "dps_pde" or (n_fit == 1 and guidance != "dps_solve")


def pde_for(problem: Problem, cfg: PriorOptions, grid: dict[str, np.ndarray]):
    """The spec's equation on ``grid`` (:class:`~pinnlab.generative.guidance.SpecPDE`): central
    differences in time, ``space_derivatives`` in space."""
    from ..generative.guidance import SpecPDE

    return SpecPDE(problem, grid, operators={c: cfg.space_derivatives for c in problem.space})


def solver_map(problem: Problem, cfg: PriorOptions, grid: dict[str, np.ndarray]):
    """``cfg.solver`` on ``grid`` (:class:`~pinnlab.generative.solver_map.SolverMap`)."""
    from ..generative.solver_map import SolverMap

    return SolverMap(problem, grid, cfg.solver, key="training.solver")


def check(problem: Problem, cfg: PriorOptions) -> None:
    """The spec has observations; the prior's channels are its fields and its dimension the
    number of coordinates; the grid names every coordinate; the guidance suits the spec."""
    if problem.observations is None:
        raise SpecError("the prior method reconstructs from data: the spec needs "
                        "[observations]", file=problem.source, key="observations")
    prior = _load(problem, cfg)
    c = prior.config
    if c.channels != len(problem.fields) or c.dim != len(problem.coords):
        raise SpecError(f"the prior has {c.channels} channel(s) on a {c.dim}-D grid, the spec "
                        f"{len(problem.fields)} field(s) of {len(problem.coords)} coordinates",
                        file=problem.source, key="fields")
    grid = axes(problem, cfg, prior)
    if _guidance(problem, cfg, prior)[0] == "dps_solve":
        solver_map(problem, cfg, grid)


def observations(problem: Problem, grid: dict[str, np.ndarray]):
    """The spec's observations snapped onto ``grid``: a guidance ``Observations`` (mask and
    values of shape ``(fields, *grid)``)."""
    from ..generative.measurements import points_to_observations

    obs = problem.observations
    return points_to_observations(obs.coords, obs.values, grid, list(problem.fields),
                                  source=obs.file or problem.source)


def interpolant(mean: torch.Tensor, problem: Problem, grid: dict[str, np.ndarray]):
    """``fn(points (N, d) in problem.coords order) -> (N, C)``: multilinear interpolation of
    ``mean`` ``(C, *grid)`` (clamped to the grid's box); exact at the nodes."""
    cols = [problem.coords.index(c) for c in grid]
    nodes = [torch.as_tensor(a, dtype=torch.float64) for a in grid.values()]

    def fn(points: torch.Tensor) -> torch.Tensor:
        p = points.to(torch.float64).cpu()
        idx, w = [], []
        for col, x in zip(cols, nodes, strict=True):
            i = (torch.searchsorted(x, p[:, col].contiguous(), right=True) - 1).clamp(
                0, len(x) - 2)
            idx.append(i)
            w.append(((p[:, col] - x[i]) / (x[i + 1] - x[i])).clamp(0, 1))
        out = torch.zeros(len(p), mean.shape[0], dtype=torch.float64)
        for corner in range(2 ** len(nodes)):
            bits = [(corner >> k) & 1 for k in range(len(nodes))]
            weight = torch.ones(len(p), dtype=torch.float64)
            for b, wk in zip(bits, w, strict=True):
                weight = weight * (wk if b else 1 - wk)
            node = [i + b for i, b in zip(idx, bits, strict=True)]
            out += weight[:, None] * mean[(slice(None), *node)].T
        return out.to(points)

    return fn


def run(problem: Problem, cfg: PriorOptions, ctx: RunContext) -> Result:
    """Guided posterior samples on the grid (see the module docstring) as a :class:`Result`."""
    from ..generative.guidance import reconstruct

    start = time.perf_counter()
    prior = _load(problem, cfg, ctx.device)
    grid = axes(problem, cfg, prior)
    guidance, needs_pde = _guidance(problem, cfg, prior)
    obs = observations(problem, grid)
    pde = pde_for(problem, cfg, grid) if needs_pde else None
    solver = solver_map(problem, cfg, grid) if guidance == "dps_solve" else None
    rec = reconstruct(prior, obs, method=guidance, n_samples=cfg.samples, nfe=cfg.nfe,
                      zeta=cfg.zeta, pde=pde, pde_weight=cfg.pde_weight,
                      pde_fraction=cfg.pde_fraction, seed=ctx.seed, solver=solver)
    samples = rec.samples.to("cpu", torch.float64)
    mean = samples.mean(0)
    std = samples.std(0) if cfg.samples > 1 else torch.zeros_like(mean)
    params, unc = {}, {"method": f"{cfg.samples} posterior samples", "std": {},
                       "field_std": float(std.mean())}
    if rec.params is not None:
        theta = rec.params.to("cpu", torch.float64)
        name = (pde or solver).param_name
        params = {name: float(theta.mean())}
        unc["std"] = {name: float(theta.std()) if len(theta) > 1 else 0.0}
        if len(theta) > 1:  # the samples' central 95%
            lo, hi = torch.quantile(theta, torch.tensor([0.025, 0.975], dtype=theta.dtype))
            unc["interval"] = {name: [float(lo), float(hi)]}
    metrics = {"method": ctx.method, "device": str(ctx.device), "seed": ctx.seed,
               "wall_s": time.perf_counter() - start, "config": cfg.model_dump(),
               "params": params, "uncertainty": unc, "observed": obs.count,
               "guidance": guidance, "nfe": cfg.nfe, "samples": cfg.samples,
               "posterior_grid": {c: len(a) for c, a in grid.items()}}
    posterior = {**grid}
    for k, f in enumerate(problem.fields):
        posterior[f"{f}_samples"], posterior[f"{f}_std"] = samples[:, k].numpy(), std[k].numpy()
    return Result(problem, ctx.method, interpolant(mean, problem, grid), metrics, [],
                  dtype=torch.float64, device="cpu", posterior=posterior)


def condition_status(problem: Problem, cfg: PriorOptions) -> dict[str, tuple[str, str]]:
    """Conditions are not imposed: they hold as far as the prior's training fields obey them."""
    return {k: ("soft", "not imposed: held as far as the prior's training fields hold it")
            for k in problem.conditions}
