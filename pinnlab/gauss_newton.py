"""Levenberg–Marquardt: Gauss–Newton steps with adaptive damping, for small networks.

A PINN's loss is a sum of squares, ``L(θ) = Σ_b Σ_i (c_b r_bi(θ))²`` (``c_b = √(w_b / N_b)``
for a term ``b`` of weight ``w_b`` on ``N_b`` points). With ``J = ∂r/∂θ`` (rows ``c_b ∇r_bi``)
each iteration solves

    (JᵀJ + μ I) δ = −Jᵀr

and takes ``θ + δ`` when it lowers the loss. The damping follows Nielsen (1999): with the gain
ratio ``ρ = (L(θ) − L(θ + δ)) / (−2 δᵀJᵀr − δᵀJᵀJ δ)``, an accepted step sets
``μ ← μ · max(1/3, 1 − (2ρ − 1)³)``, a rejected one ``μ ← μ ν``, ``ν ← 2ν``. Small ``μ`` is
Gauss–Newton (the energy natural gradient of Müller & Zeinhofer 2023 for linear PDEs); large
``μ`` a short gradient step. The curvature is rebuilt at every iteration, so new collocation
points cost nothing: no history is lost when they are redrawn.

The rows of ``J`` are per-point gradients, ``vmap(jacrev(r_b(·, x)))`` over the points
(one reverse sweep per point, batched), which needs every residual to be pointwise: the value
at a point depends on that point only. With ``M`` rows and ``P`` weights, a solve costs
``M P²`` for ``JᵀJ`` and ``P³/3`` for its Cholesky factor, so networks of a few thousand
weights; with fewer rows than weights the same step comes from the ``M × M`` system,
``δ = −Jᵀ (JJᵀ + μ I)⁻¹ r``, at ``M² P + M³/3``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch.func import functional_call, jacrev, vmap

from .bfgs import MAX_PARAMETERS, check_size

__all__ = ["LevenbergMarquardt", "MAX_PARAMETERS", "jacobian"]

#: a block of rows: (points (N, d), residual(points) -> (N, k), scale c_b, pointwise)
Block = tuple[torch.Tensor, Callable[[torch.Tensor], torch.Tensor], float, bool]


def jacobian(module: torch.nn.Module, residual: Callable[[torch.Tensor], torch.Tensor],
             points: torch.Tensor, names: list[str] | None = None, chunk: int = 1024,
             pointwise: bool = True) -> torch.Tensor:
    """``∂r_i/∂θ`` (M, P) of ``residual(points) -> (M,)`` with respect to the parameters
    ``names`` of ``module`` (default: every trainable one, in ``named_parameters`` order):
    one batched reverse sweep per point when the residual is pointwise (row ``i`` depends on
    point ``i`` alone), else one per output row over all the points (an integral)."""
    names = names or [k for k, p in module.named_parameters() if p.requires_grad]
    rows = _Rows(module, residual)
    weights = {f"module.{k}": p.detach() for k, p in module.named_parameters() if k in names}

    def flat(J, lead):  # rows in the order of residual(points).reshape(-1)
        n = math.prod(J[f"module.{names[0]}"].shape[:lead])
        return torch.cat([J[f"module.{k}"].reshape(n, -1) for k in names], 1)

    if not pointwise:
        return flat(jacrev(lambda w: functional_call(rows, w, (points,)).reshape(-1))(weights),
                    1)

    def one(w, x):  # the residual values at one point (several for an observed set of fields)
        return functional_call(rows, w, (x[None],)).reshape(-1)

    return torch.cat([flat(vmap(jacrev(one), in_dims=(None, 0))(weights, x), 2)
                      for x in points.split(chunk)])


class _Rows(torch.nn.Module):
    """``residual(points)`` as the forward of a module holding ``module``'s parameters, so
    :func:`torch.func.functional_call` can substitute them."""

    def __init__(self, module: torch.nn.Module, residual):
        super().__init__()
        self.module, self.residual = module, residual

    def forward(self, points):
        return self.residual(points)


class LevenbergMarquardt(torch.optim.Optimizer):
    """LM on the rows ``blocks()`` gives (module docstring); driven like ``torch.optim.LBFGS``
    (``step(closure)`` runs up to ``max_iter`` iterations, ``state`` counts ``n_iter`` and
    ``func_evals``), so the trainer runs both alike.

    Args:
        module: holds the parameters (every trainable one is optimised).
        blocks: ``blocks() -> [(points, residual, scale, pointwise)]`` at the current points
            (``pointwise``: row ``i`` depends on point ``i`` alone; else, e.g. observations
            matched to their points by position or an integral, all rows at once).
        damping: the first ``μ``, relative to the mean diagonal of ``JᵀJ``.
        rows_per_pass: points per batched Jacobian evaluation (memory ``rows_per_pass × P``).
    """

    #: iterations per trainer chunk (clock, checkpoints): one costs about a hundred L-BFGS ones
    chunk = 5

    def __init__(self, module: torch.nn.Module, blocks: Callable[[], list[Block]], *,
                 damping: float = 1e-3, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-12, tolerance_change: float = 1e-14,
                 rows_per_pass: int = 1024, **_):
        self.names = [k for k, p in module.named_parameters() if p.requires_grad]
        params = [p for p in module.parameters() if p.requires_grad]
        super().__init__(params, {"max_iter": max_iter, "max_eval": max_eval or 25 * max_iter,
                                  "tolerance_grad": tolerance_grad,
                                  "tolerance_change": tolerance_change})
        check_size(sum(p.numel() for p in params))
        self.module, self.blocks, self.damping = module, blocks, damping
        self.rows_per_pass = rows_per_pass
        self._params = params

    def forget_gradient(self) -> None:
        """New points: nothing to forget (the curvature is rebuilt every iteration); the
        damping carries over."""

    def _system(self, blocks: list[Block]) -> dict:
        """The Gauss–Newton system at the current parameters: ``g = Jᵀr``, ``|r|²`` and, with
        more rows ``M`` than weights ``P``, ``G = JᵀJ`` (accumulated over passes); with fewer,
        ``J`` and ``r`` themselves, for the ``M × M`` form of the same step."""
        dual = sum(len(points) for points, *_ in blocks) < sum(p.numel() for p in self._params)
        G = g = None
        Js, rs, loss = [], [], 0.0
        for points, residual, scale, pointwise in blocks:
            for x in points.split(self.rows_per_pass) if pointwise else [points]:
                with torch.no_grad():
                    r = residual(x).detach().reshape(-1) * scale
                J = jacobian(self.module, residual, x, self.names, self.rows_per_pass,
                             pointwise) * scale
                if dual:
                    Js.append(J)
                    rs.append(r)
                else:
                    G = J.T @ J if G is None else G.addmm_(J.T, J)
                g = J.T @ r if g is None else g.addmv_(J.T, r)
                loss += float(r @ r)
        if dual:
            J, r = torch.cat(Js), torch.cat(rs)
            return {"J": J, "r": r, "K": J @ J.T, "g": g, "loss": loss,
                    "scale": float((J * J).sum()) / J.shape[1]}
        return {"G": G, "g": g, "loss": loss, "scale": float(G.diagonal().mean())}

    @staticmethod
    def _solve(system: dict, mu: float) -> tuple[torch.Tensor, float] | None:
        """``δ = −(JᵀJ + μI)⁻¹ Jᵀr`` and ``δᵀJᵀJδ`` (``None`` if the factorisation fails);
        with ``M < P`` through ``(JJᵀ + μI)⁻¹``, the same ``δ`` (push-through identity)."""
        A = system["K"] if "K" in system else system["G"]
        L, info = torch.linalg.cholesky_ex(A + mu * torch.eye(A.shape[0], dtype=A.dtype,
                                                              device=A.device))
        if int(info):
            return None
        if "K" in system:
            delta = -(system["J"].T @ torch.cholesky_solve(system["r"][:, None], L)[:, 0])
            Jd = system["J"] @ delta
            return delta, float(Jd @ Jd)
        delta = torch.cholesky_solve(-system["g"][:, None], L)[:, 0]
        return delta, float(delta @ (system["G"] @ delta))

    @staticmethod
    def _loss(blocks: list[Block]) -> float:
        with torch.no_grad():
            return sum(float((residual(points) * scale).square().sum())
                       for points, residual, scale, _ in blocks)

    @torch.no_grad()
    def step(self, closure):
        """Up to ``max_iter`` LM iterations; returns the closure's loss after them."""
        group = self.param_groups[0]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        for _ in range(group["max_iter"]):
            blocks = self.blocks()  # the points do not change within an iteration
            with torch.enable_grad():
                system = self._system(blocks)
            g, loss = system["g"], system["loss"]
            state["func_evals"] += 1
            if float(g.abs().max()) <= group["tolerance_grad"]:
                break
            if "mu" not in state:
                state["mu"], state["nu"] = self.damping * system["scale"], 2.0
            x0 = [p.detach().clone() for p in self._params]
            for _ in range(12):  # raise the damping until a step lowers the loss
                step = self._solve(system, state["mu"])
                if step is None:
                    state["mu"] *= state["nu"]
                    state["nu"] *= 2.0
                    continue
                delta, quadratic = step
                self._set(x0, delta)
                new = self._loss(blocks)
                state["func_evals"] += 1
                predicted = -(2 * float(g @ delta) + quadratic)
                if new < loss and predicted > 0:
                    rho = (loss - new) / predicted
                    state["mu"] *= max(1 / 3, 1 - (2 * rho - 1) ** 3)
                    state["nu"] = 2.0
                    break
                self._set(x0, None)
                state["mu"] *= state["nu"]
                state["nu"] *= 2.0
            else:
                break  # no step lowers the loss: converged as far as it goes
            state["n_iter"] += 1
            if abs(loss - new) < group["tolerance_change"]:
                break
        return torch.enable_grad()(closure)()  # the loss and its terms where LM stopped

    def _set(self, x0: list[torch.Tensor], delta: torch.Tensor | None) -> None:
        """Parameters ``x0 + delta`` (``x0`` when ``delta`` is None)."""
        offset = 0
        for p, x in zip(self._params, x0, strict=True):
            n = p.numel()
            p.copy_(x if delta is None else x + delta[offset:offset + n].view_as(p))
            offset += n
