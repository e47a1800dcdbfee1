"""Intervals for the unknown parameters of a fitted PINN: a linearised Laplace approximation.

Every term of the fit is read as a Gaussian likelihood of its residuals: the observations at
their noise level ``σ_d`` (in the data term's units, relative to ``mean|y|``), each equation and
condition at the level it reached, ``σ_k² = mean_i r_ki²`` at the fit (a model-error estimate: a
well-converged PINN holds its equations tightly, and they then act as near-constraints). So

    E(ω) = Σ_k Σ_i r_ki(ω)² / (2 σ_k²)

over the network weights ``w`` and the raw unknown parameters ``θ`` (``ω = (w, θ)``). Around the
fit, the Gauss–Newton Hessian is ``H = JᵀJ + λ P_w`` (``J`` the Jacobian of ``r_ki / σ_k``, a
prior precision ``λ`` on the network weights only). The marginal covariance of ``θ`` is the
inverse of the Schur complement, which Woodbury's identity reduces to one ``n × n`` system over
the residual rows:

    Σ_θ = (λ J_θᵀ (J_w J_wᵀ + λ I)⁻¹ J_θ)⁻¹,

mapped to the physical parameters by the derivative of the bounded map (:mod:`pinnlab.params`);
intervals are ``estimate ± 1.96 √Σ_ii`` (95%), correlations ``Σ_ij / √(Σ_ii Σ_jj)``. ``σ_d`` is
the spec's ``[observations] noise`` when given (:func:`data_sigma`), else estimated from the
fit's data residuals, ``σ̂_d² = Σ r_i² / (n_d − p)`` (``p`` unknowns). Rows: every observation
and at most ``rows`` points of each other term (a random subset of its final points), at most
``total_rows`` over all of them. Too few physics rows leave the linearised network free to
absorb a change of a parameter at the points that are checked: on the inverse Burgers problem
(8 noise draws, ``results/inference/burgers_rows.md``) the median σ/ν is 27% with 256 rows,
9.4% with 1024 and 8.2% with 2048, against the exact model's spread of 8.3%, every interval
covering the truth; hence 1024 by default.
"""

from __future__ import annotations

import math

import torch

from .gauss_newton import jacobian

#: the prior precision of the network weights (weights ~ N(0, 1/λ))
PRIOR_PRECISION = 1.0


def _rows(loss, rows: int, generator: torch.Generator, total: int | None = None):
    """The residual rows of each term: ``[(kind, points, residual, pointwise)]`` (through the
    model's parameters); at most ``rows`` points per pointwise physics term and ``total`` over
    them."""
    if total is not None:
        physics = sum(t.kind != "data" for t in loss.terms)
        rows = max(1, min(rows, total // max(physics, 1)))
    out = []
    for t, (pts, residual, _, pointwise) in zip(loss.terms, loss.rows(dict.fromkeys(
            (t.name for t in loss.terms), 1.0)), strict=True):
        n = pts.shape[0]
        if pointwise and n > rows:
            pts = pts[torch.randperm(n, generator=generator)[:rows].to(pts.device)]
        out.append((t.kind, pts, residual, pointwise))
    return out


def data_sigma(observations) -> float:
    """The spec's relative noise level as a standard deviation in the data term's units: the
    noise is ``noise · RMS(y)`` per observed column and the data term divides each column by
    ``mean|y|``; or, with ``noise_model = "relative"``, ``noise · |y_i|`` per value and the data
    term divides each value by ``|y_i|``, so the level is ``noise`` itself."""
    import numpy as np

    if observations.noise_model == "relative":
        return float(observations.noise)
    ratios = [float(np.sqrt(np.nanmean(np.square(v))) / max(np.nanmean(np.abs(v)), 1e-300))
              for v in observations.values.values()]  # NaN: not measured
    return float(observations.noise) * math.sqrt(sum(q * q for q in ratios) / len(ratios))


def laplace(loss, model, noise: float = 0.0, *, rows: int = 1024, total_rows: int = 2048,
            seed: int = 0) -> dict:
    """The Laplace intervals (module docstring) of the unknown parameters of a trained PINN
    (``loss``: its :class:`~pinnlab.methods.pinn.PINNLoss`, ``model``: its model; ``noise``:
    the data's σ_d, 0 to estimate it). Returns
    ``{"method", "noise", "noise_estimated", "level", "std", "interval", "correlation",
    "warnings"}`` (:func:`valley_warnings`)."""
    names = [k for k, p in model.params.spec.items() if p.unknown]
    if not names:
        return {}
    theta = [model.params.raw[k] for k in names]
    w_names = [f"net.{k}" for k, p in model.net.named_parameters() if p.requires_grad]
    gen = torch.Generator().manual_seed(seed)
    terms = _rows(loss, rows, gen, total_rows)
    with torch.no_grad():
        values = [(kind, residual(pts).reshape(-1)) for kind, pts, residual, _ in terms]
    data = [r for kind, r in values if kind == "data"]
    if not data:
        return {"method": "laplace", "note": "no observations: no likelihood to linearise"}
    n_d = sum(r.numel() for r in data)
    estimated = not noise
    sigma2 = (sum(float((r ** 2).sum()) for r in data) / max(n_d - len(names), 1)
              if estimated else float(noise) ** 2)
    cols = w_names + [f"params.raw.{k}" for k in names]
    J = torch.cat([jacobian(model, residual, pts, cols, pointwise=pointwise)
                   / math.sqrt(max(sigma2 if kind == "data" else float((r ** 2).mean()), 1e-24))
                   for (kind, pts, residual, pointwise), (_, r) in zip(terms, values,
                                                                        strict=True)])
    Jw, Jt = J[:, :-len(names)].double(), J[:, -len(names):].double()
    lam = PRIOR_PRECISION
    K = Jw @ Jw.T + lam * torch.eye(Jw.shape[0], dtype=torch.float64, device=Jw.device)
    S = lam * Jt.T @ torch.linalg.solve(K, Jt)
    cov_raw = torch.linalg.pinv(S, hermitian=True)
    with torch.enable_grad():  # d(physical)/d(raw) of each parameter's bounded map
        raw = [t.detach().clone().requires_grad_(True) for t in theta]
        d = [float(torch.autograd.grad(model.params._from_raw(model.params.spec[k], x), x)[0])
             for k, x in zip(names, raw, strict=True)]
    D = torch.diag(torch.tensor(d, dtype=torch.float64))
    cov = (D @ cov_raw.to(D) @ D).cpu()
    std = cov.diagonal().clamp_min(0).sqrt()
    est = model.params.estimates()
    corr = cov / torch.outer(std, std).clamp_min(1e-300)
    correlation = {a: {b: float(corr[i, j]) for j, b in enumerate(names)}
                   for i, a in enumerate(names)}
    return {"method": "laplace (Gauss-Newton, linearised network)", "level": 0.95,
            "noise": math.sqrt(sigma2), "noise_estimated": estimated,
            "std": {k: float(s) for k, s in zip(names, std, strict=True)},
            "interval": {k: [est[k] - 1.96 * float(s), est[k] + 1.96 * float(s)]
                         for k, s in zip(names, std, strict=True)},
            "correlation": correlation, "warnings": valley_warnings(correlation)}


#: |correlation| above which a pair of unknowns is reported as a valley (see below)
VALLEY = 0.95


def valley_warnings(correlation: dict[str, dict[str, float]]) -> list[str]:
    """One line per pair of unknowns whose Laplace correlation exceeds :data:`VALLEY` in
    magnitude: the data then fix a combination of the two, not each, the loss is a curved
    valley that one curvature at the fit does not follow, and the intervals can be too narrow.
    Measured on the flame Case 1 inverse (``results/inference/flame_calibration.md``): with 5
    readings 17 of 20 fits had |ρ(λ, E_a)| > 0.95 and 8 of those 17 intervals held the truth;
    with 10 or 25 readings |ρ| ≤ 0.91 and 85–95% did."""
    names = list(correlation)
    out = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            rho = correlation[a][b]
            if abs(rho) > VALLEY:
                out.append(f"{a} and {b} are correlated at {rho:+.3f}: the data fix a "
                           "combination of the two, and the Laplace intervals of both can be "
                           "too narrow; refits measure it (--option ensemble=8)")
    return out
