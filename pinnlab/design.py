"""Where to measure: rank candidate sensor locations by how much they would shrink the intervals
of the unknown parameters (the Fisher information of the linearisation behind
:mod:`pinnlab.uncertainty`).

Around a fit, a small change ``dθ`` of the unknown parameters moves the network's weights by
``dw`` so that the equations keep holding (``J_w dw + J_θ dθ ≈ 0`` on the physics rows, each
equation scaled by the level it reached), least-squares with the weights' prior ``λ``:

    dw = −J_wᵀ (J_w J_wᵀ + λ I)⁻¹ J_θ dθ.

A sensor at ``x_c`` reading field ``f`` then sees ``df(x_c) = s_c dθ`` with the sensitivity row
``s_c = ∂f(x_c)/∂w · dw/dθ``. With noise ``σ`` per reading, a design ``D`` carries the Fisher
information ``F_D = Σ_{c∈D} s_cᵀ s_c / σ²`` and the parameters' covariance ``F_D⁻¹`` (the
physics taken as holding). :func:`choose_sensors` picks ``n`` candidates greedily for the largest
``log det(F_D + ε I)`` (D-optimal; with one unknown: the largest ``|s_c|``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

from .gauss_newton import jacobian
from .uncertainty import PRIOR_PRECISION


def sensitivities(result, candidates: Mapping[str, np.ndarray], field: str, *,
                  rows: int = 256, seed: int = 0) -> np.ndarray:
    """The rows ``s_c`` (m, p) of the candidates (coordinate arrays of length m) for the
    unknown parameters of a PINN ``result`` (physical units, :meth:`Problem.unknowns` order)."""
    from .methods.pinn import PINNConfig, PINNLoss, _default_dtype
    from .uncertainty import _rows

    problem, model = result.problem, result.module
    names = problem.unknowns
    theta = [model.params.raw[k] for k in names]
    w_names = [f"net.{k}" for k, p in model.net.named_parameters() if p.requires_grad]
    cfg = PINNConfig(**result.metrics["config"])
    gen = torch.Generator().manual_seed(seed)
    with _default_dtype(result.dtype):
        loss = PINNLoss(problem, model, cfg, gen)
    Jw, Jt = [], []
    for kind, x, residual, pointwise in _rows(loss, rows, gen):
        if kind == "data":
            continue
        with torch.no_grad():
            scale = residual(x).pow(2).mean().clamp_min(1e-24).sqrt()
        J = jacobian(model, residual, x, w_names + [f"params.raw.{k}" for k in names],
                     pointwise=pointwise) / scale
        Jw.append(J[:, :-len(names)])
        Jt.append(J[:, -len(names):])
    Jw, Jt = torch.cat(Jw).double(), torch.cat(Jt).double()
    pts = torch.tensor(np.stack([np.asarray(candidates[c], dtype=float).ravel()
                                 for c in problem.coords], 1), dtype=result.dtype)
    fi, basis = problem.fields.index(field), _value_basis(len(problem.coords))
    Jc = jacobian(model, lambda x: model.fields_jet(x, basis).value[:, fi], pts,
                  w_names).double()
    K = Jw @ Jw.T + PRIOR_PRECISION * torch.eye(Jw.shape[0], dtype=torch.float64)
    s = -(Jc @ Jw.T) @ torch.linalg.solve(K, Jt)  # (m, p), raw parameters
    with torch.enable_grad():
        raw = [t.detach().clone().requires_grad_(True) for t in theta]
        d = [float(torch.autograd.grad(model.params._from_raw(model.params.spec[k], x), x)[0])
             for k, x in zip(names, raw, strict=True)]
    return (s / torch.tensor(d, dtype=torch.float64)).numpy()  # ds/dθ_phys = ds/dθ_raw / d


def _value_basis(dim: int):
    from .jet import JetBasis

    return JetBasis(dim, [])


def choose_sensors(s: np.ndarray, n: int, sigma: float = 1.0, eps: float = 1e-12) -> np.ndarray:
    """Indices of ``n`` rows of ``s`` (m, p) chosen greedily for the largest
    ``log det(Σ s_cᵀ s_c / σ² + ε I)`` (module docstring); a candidate may be chosen once."""
    s = np.asarray(s, dtype=float) / sigma
    F = eps * np.eye(s.shape[1])
    chosen: list[int] = []
    free = np.ones(len(s), bool)
    for _ in range(min(n, len(s))):
        inv = np.linalg.inv(F)
        gain = np.einsum("ij,jk,ik->i", s, inv, s)  # log det grows by log(1 + s F⁻¹ sᵀ)
        gain[~free] = -np.inf
        c = int(np.argmax(gain))
        chosen.append(c)
        free[c] = False
        F = F + np.outer(s[c], s[c])
    return np.array(chosen)


def predicted_std(s: np.ndarray, sigma: float) -> np.ndarray:
    """The parameters' standard deviations ``√diag(F⁻¹)`` a design with rows ``s`` gives."""
    F = (np.asarray(s, dtype=float) / sigma).T @ (np.asarray(s, dtype=float) / sigma)
    return np.sqrt(np.diag(np.linalg.pinv(F)))
