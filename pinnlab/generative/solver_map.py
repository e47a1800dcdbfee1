"""A spec's solution field as a differentiable function of its other fields: a reference solver
run inside guided sampling (guidance ``dps_solve``).

A joint prior over ``[a, u]`` learns the relation between a coefficient (or source) field ``a``
and the solution ``u`` only as well as its training allows; when the spec's physics has a
solver, ``u = S(a)`` can be computed instead. :class:`SolverMap` replaces the solved channel of
a batch of fields by the solver's output, differentiably in the other channels, so that DPS
steers the prior's ``a`` by the misfit of ``S(a)`` at the observed nodes (the PDE then holds
exactly in every posterior sample, up to the solver's discretisation).

Solvers (the ``name`` of the option table; the other keys are the reference solver's own options,
expressions in the spec's fields, coordinates and known parameters):

* ``darcy_fd``: ``-div(a grad u) + c u = f``, ``u = 0`` on the walls, by the five-point scheme of
  :func:`pinnlab.reference.diffusion.darcy_matrix` (``coefficient``, ``source``, ``reaction``,
  ``field``: the solved field). Gradients by the adjoint: with ``A u = f`` and a loss ``L(u)``,
  ``λ = A^{-T} ∂L/∂u`` gives ``∂L/∂f = λ``, ``∂L/∂c = -λ u`` and, for the face between nodes
  ``p`` and ``q`` with coefficient ``a_pq``, ``∂L/∂a_pq = -(λ_p - λ_q)(u_p - u_q) / h²`` (half to
  each node). One sparse LU per sample serves both solves.

Input fields are clamped to their ``[fields] bounds`` before the solve (a prior's early,
noisy estimates may leave them), and the coefficient to at least 1e-3 of its largest value.
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import SpecError


class _DarcySolve(torch.autograd.Function):
    """``u = S(a, f, c)`` on one grid: ``a``, ``c`` float64 (nx, ny), ``f`` (k, nx, ny) (k
    right-hand sides, one LU); ``u`` (k, nx, ny), zero on the walls."""

    @staticmethod
    def forward(ctx, a, f, c, x, y):
        from scipy.sparse.linalg import splu

        from ..reference.diffusion import darcy_matrix

        a_np, c_np = (t.detach().cpu().double().numpy() for t in (a, c))
        lu = splu(darcy_matrix(x, y, a_np, c_np).tocsc())
        rhs = f.detach().cpu().double().numpy()[:, 1:-1, 1:-1].reshape(len(f), -1)
        u = np.zeros(f.shape)
        u[:, 1:-1, 1:-1] = lu.solve(np.ascontiguousarray(rhs.T)).T.reshape(
            len(f), len(x) - 2, len(y) - 2)
        ctx.lu, ctx.h2 = lu, ((x[1] - x[0]) ** 2, (y[1] - y[0]) ** 2)
        out = torch.as_tensor(u).to(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (u,) = ctx.saved_tensors
        lam = torch.zeros_like(u)
        g = grad[:, 1:-1, 1:-1].detach().cpu().double().numpy().reshape(len(u), -1)
        lam[:, 1:-1, 1:-1] = torch.as_tensor(ctx.lu.solve(np.ascontiguousarray(g.T),
                                                          trans="T").T).reshape(
            lam[:, 1:-1, 1:-1].shape).to(u)
        hx2, hy2 = ctx.h2
        ga = torch.zeros_like(u[0])
        gx = -((lam[:, 1:] - lam[:, :-1]) * (u[:, 1:] - u[:, :-1])).sum(0) / hx2  # x faces
        gy = -((lam[:, :, 1:] - lam[:, :, :-1]) * (u[:, :, 1:] - u[:, :, :-1])).sum(0) / hy2
        ga[1:] += 0.5 * gx
        ga[:-1] += 0.5 * gx
        ga[:, 1:] += 0.5 * gy
        ga[:, :-1] += 0.5 * gy
        return ga, lam, -(lam * u).sum(0), None, None


def darcy_solve(a: torch.Tensor, f: torch.Tensor, c: torch.Tensor, x: np.ndarray,
                y: np.ndarray) -> torch.Tensor:
    """``u`` of ``-div(a grad u) + c u = f``, ``u = 0`` on the walls, differentiable in ``a``,
    ``f`` and ``c``: ``a``, ``c`` (nx, ny) and ``f`` (nx, ny) or (k, nx, ny) (k sources, one
    factorisation) on the nodes of the axes ``x``, ``y``; ``u`` has the shape of ``f``."""
    many = f.dim() == 3
    u = _DarcySolve.apply(a, f if many else f[None], c, np.asarray(x, float),
                          np.asarray(y, float))
    return u if many else u[0]


SOLVERS = {"darcy_fd": ("coefficient", "source", "reaction")}
"""The solvers a :class:`SolverMap` runs, and the expressions each takes."""


class SolverMap:
    """The solved channel of fields ``(n, C, *grid)`` (channels: the spec's fields in order)
    replaced by the solver's output from the other channels; differentiable."""

    def __init__(self, problem, axes: dict[str, np.ndarray], options: dict,
                 key: str = "training.solver"):
        from ..options import build
        from ..reference import SOLVERS as REFERENCE

        options = dict(options)
        name = options.pop("name", None)
        if name not in SOLVERS:
            raise SpecError(f"solver name must be one of {sorted(SOLVERS)}, got {name!r}",
                            file=problem.source, key=f"{key}.name")
        opts = build(REFERENCE[name].options, options, source=problem.source,
                     spec_keys={k: f"{key}.{k}" for k in options})
        if opts.field not in problem.fields:
            raise SpecError(f"solved field {opts.field!r} is not a field of the spec",
                            file=problem.source, key=f"{key}.field")
        if len(axes) != 2 or problem.time is not None:
            raise SpecError(f"{name} needs a steady 2-D grid", file=problem.source, key=key)
        self.problem, self.axes, self.index = problem, axes, problem.fields.index(opts.field)
        self.exprs = {}
        for k in SOLVERS[name]:
            expr = problem.expression(getattr(opts, k), f"{key}.{k}")
            used = {s.name for s in expr.derivatives}
            if opts.field in used or any(s.index for s in expr.derivatives):
                raise SpecError(f"{k} may use the other fields' values only, not "
                                f"{opts.field!r} or derivatives", file=problem.source,
                                key=f"{key}.{k}")
            self.exprs[k] = expr
        self.bounds = {f: tuple(problem.constant(v, f"fields.{f}.bounds") for v in b)
                       for f, b in problem.bounds.items() if f != opts.field}
        grids = np.meshgrid(*axes.values(), indexing="ij")
        self.mesh = {c: torch.as_tensor(g) for c, g in zip(axes, grids, strict=True)}
        self.params = {k: float(p.value) for k, p in problem.parameters.items()
                       if not p.unknown}
        unknown = [k for k, p in problem.parameters.items() if p.unknown]
        if len(unknown) > 1:
            raise SpecError(f"the solver map fits at most one unknown parameter, not "
                            f"{unknown}", file=problem.source, key="parameters")
        self.param_name = unknown[0] if unknown else None
        self.param_bounds = problem.parameters[unknown[0]].bounds if unknown else None
        if unknown:
            self._check_affine(key)

    def _check_affine(self, key: str) -> None:
        """The unknown parameter enters the source alone, affinely (then so does ``u``)."""
        for k, expr in self.exprs.items():
            if k != "source" and self.param_name in expr.params:
                raise SpecError(f"the unknown {self.param_name!r} may enter the source only",
                                file=self.problem.source, key=f"{key}.{k}")
        shape = next(iter(self.mesh.values())).shape
        ones = torch.ones((len(self.problem.fields), *shape), dtype=torch.float64)
        f0, f1, f2 = (self._inputs(ones, theta)["source"] for theta in (0.0, 1.0, 2.0))
        size = float(f0.abs().max() + 2 * (f1 - f0).abs().max())
        if float((f2 - 2 * f1 + f0).abs().max()) > 1e-12 * max(size, 1e-300):
            raise SpecError(f"the source must be affine in the unknown {self.param_name!r}",
                            file=self.problem.source, key=f"{key}.source")

    def _clamped(self, member: torch.Tensor) -> torch.Tensor:
        """One member's channels with every input field clamped to its bounds."""
        rows = list(member)
        for i, f in enumerate(self.problem.fields):
            if f in self.bounds:
                rows[i] = rows[i].clamp(*self.bounds[f])
        return torch.stack(rows)

    def _inputs(self, member: torch.Tensor, theta: float | None = None
                ) -> dict[str, torch.Tensor]:
        from ..expr import Symbol

        env = {Symbol("coord", c): m for c, m in self.mesh.items()}
        params = self.params if theta is None else {**self.params, self.param_name: theta}
        env.update({Symbol("param", k): torch.tensor(v, dtype=torch.float64)
                    for k, v in params.items()})
        env.update({Symbol("field", f): member[i] for i, f in enumerate(self.problem.fields)
                    if i != self.index})
        return {k: torch.as_tensor(e.evaluate(env), dtype=torch.float64).expand(
            member.shape[1:]) for k, e in self.exprs.items()}

    def __call__(self, fields: torch.Tensor, obs=None) -> tuple[torch.Tensor,
                                                                torch.Tensor | None]:
        """``fields`` (n, C, *grid) with the inputs clamped and the solved channel ``S``, and
        the unknown parameter per sample (n,) (None without one): with the source affine in
        it, ``u(θ) = u_0 + θ u_1`` (two sources, one factorisation), and ``θ`` is the least
        squares fit of ``u`` to the observed values of the solved field in ``obs`` (an
        :class:`~.guidance.Observations`), kept inside the parameter's bounds."""
        from ..errors import DataError

        if self.param_name is not None:
            if obs is None or not bool(obs.mask[self.index].any()):
                raise DataError(f"fitting {self.param_name!r} needs observations of "
                                f"{self.problem.fields[self.index]!r}",
                                file=self.problem.source, key="observations")
            m = obs.mask[self.index].cpu().double()
            y_obs = obs.values[self.index].cpu().double() * m
        out, thetas = [], []
        x, y = self.axes.values()
        for member in fields.double():
            member = self._clamped(member)
            v = self._inputs(member, None if self.param_name is None else 0.0)
            a = v["coefficient"]
            a = torch.maximum(a, 1e-3 * a.detach().abs().max())
            f = v["source"][None]
            if self.param_name is not None:
                f = torch.stack([v["source"], self._inputs(member, 1.0)["source"] - v["source"]])
            u = darcy_solve(a, f, v["reaction"], x, y)
            if self.param_name is not None:
                theta = (m * u[1] * (y_obs - u[0])).sum() / (m * u[1] ** 2).sum().clamp_min(
                    1e-300)
                if self.param_bounds is not None:
                    theta = theta.clamp(*self.param_bounds)
                thetas.append(theta)
                u = u[:1] + theta * u[1:]
            out.append(torch.cat([member[:self.index], u, member[self.index + 1:]]))
        params = torch.stack(thetas).detach() if thetas else None
        return torch.stack(out).to(fields.dtype), params
