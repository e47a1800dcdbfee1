"""Baselines of the reconstructions of results/priors/run.py, on the same observed nodes.

* GP: gpytorch regression of the observed field on its observed nodes (and, for u, on the
  wall nodes where u = 0 is known) (``gp_reconstruct`` of
  results/reconstruction/baselines.py: constant mean, scaled RBF kernel with one length scale per
  axis, hyper-parameters by marginal likelihood), its mean on the grid.
* FNO (neuraloperator's ``FNO``, 12 x 12 modes, width 32, 4 layers): trained on the full
  training fields to map the observed field to the other (u -> a for the inverse task, a -> u
  for the forward one), then given the GP mean of the observed field.
* PINN: pinnlab's own PINN on problems/generative/<family>_observed.toml with the scene's
  observations: the coefficient (or source) and u are its two outputs (Darcy's a bounded in
  [3, 12]; u = 0 on the walls built in).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
_heat = importlib.util.spec_from_file_location(
    "heat_baselines", HERE.parent / "reconstruction" / "baselines.py")
heat_baselines = importlib.util.module_from_spec(_heat)
_heat.loader.exec_module(heat_baselines)

FNO_EPOCHS, FNO_BATCH, FNO_LR = 15, 32, 2e-3


def gp_field(nodes: np.ndarray, values: np.ndarray, x: np.ndarray, y: np.ndarray,
             walls: bool = False) -> np.ndarray:
    """The GP posterior mean on the grid (len(x), len(y)) from values at grid nodes (k, 2);
    ``walls``: the field is known to vanish on the walls (u), so the wall nodes join the data
    with value 0."""
    if walls:
        i, j = np.meshgrid(np.arange(len(x)), np.arange(len(y)), indexing="ij")
        edge = (i == 0) | (j == 0) | (i == len(x) - 1) | (j == len(y) - 1)
        nodes = np.concatenate([nodes, np.stack([i[edge], j[edge]], 1)])
        values = np.concatenate([values, np.zeros(int(edge.sum()))])
    scale = float(np.sqrt(np.mean(values**2))) or 1.0  # gpytorch's noise floor is 1e-4 in
    # variance: the values in units of their RMS, so that floor is far below the signal
    return scale * heat_baselines.gp_reconstruct(x[nodes[:, 0]], y[nodes[:, 1]],
                                                 values / scale, x, y)


def train_fno(inputs: np.ndarray, outputs: np.ndarray, seed: int = 0, device: str = "cpu"):
    """An FNO from inputs (n, nx, ny) to outputs (n, nx, ny), both standardised, trained on
    ``device``; returns ``predict(inputs (m, nx, ny)) -> (m, nx, ny)`` and the training
    seconds."""
    from neuralop.models import FNO

    torch.manual_seed(seed)
    mi, si, mo, so = inputs.mean(), inputs.std(), outputs.mean(), outputs.std()
    x = torch.tensor((inputs - mi) / si, dtype=torch.float32, device=device)[:, None]
    y = torch.tensor((outputs - mo) / so, dtype=torch.float32, device=device)[:, None]
    model = FNO(n_modes=(12, 12), in_channels=1, out_channels=1, hidden_channels=32).to(device)
    steps = FNO_EPOCHS * (len(x) // FNO_BATCH)
    opt = torch.optim.Adam(model.parameters(), lr=FNO_LR)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    gen = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for _ in range(steps):
        idx = torch.randint(0, len(x), (FNO_BATCH,), generator=gen).to(device)
        loss = ((model(x[idx]) - y[idx]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    seconds = time.perf_counter() - start
    model.eval()

    def predict(z: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            out = model(torch.tensor((z - mi) / si, dtype=torch.float32, device=device)[:, None])
        return out[:, 0].double().cpu().numpy() * so + mo

    return predict, seconds


def pinn_fields(spec: Path, coefficient: str, observed: dict[str, tuple[np.ndarray, np.ndarray]],
                x: np.ndarray, y: np.ndarray, options: dict,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """pinnlab's PINN on ``spec`` (darcy_observed.toml, poisson_observed.toml) with each field
    of ``observed`` ("u", or "a" for the spec's field ``coefficient``) measured at its grid
    nodes ``(k, 2)`` with its values ``(k,)`` (different nodes per field: the other field is
    NaN, not measured, there): the coefficient and u on the grid."""
    import pinnlab
    from pinnlab.spec.problem import Observations

    problem = pinnlab.load(spec)
    nodes = np.concatenate([n for n, _ in observed.values()])
    values, start = {}, 0
    for field, (n, v) in observed.items():
        column = np.full(len(nodes), np.nan)
        column[start:start + len(n)] = v
        values[coefficient if field == "a" else field] = column
        start += len(n)
    obs = Observations({"x": x[nodes[:, 0]], "y": y[nodes[:, 1]]}, values, 0.0, "scene")
    problem = dataclasses.replace(problem, observations=obs)
    result = pinnlab.solve(problem, "pinn", seed=seed, progress=False, evaluate=False,
                           **options)
    xx, yy = np.meshgrid(x, y, indexing="ij")
    out = result.predict(np.stack([xx.ravel(), yy.ravel()], 1))
    return (np.asarray(out[coefficient]).reshape(xx.shape),
            np.asarray(out["u"]).reshape(xx.shape))


def grf_factor(s: int, alpha: float = 2.0, tau: float = 3.0) -> np.ndarray:
    """``M`` (n x n, n = s^2) with ``f = M xi``, xi standard normal: DiffusionPDE's source
    field on an s x s grid (the Gaussian random field of the FNO paper's data: a cosine
    expansion with coefficients ``s tau^(alpha - 1) (pi^2 |k|^2 + tau^2)^(-alpha/2)``, the mean
    mode removed, the orthonormal 2-D inverse DCT). Its covariance is ``M M^T``."""
    from scipy.fft import idct

    k1, k2 = np.meshgrid(np.arange(s), np.arange(s), indexing="ij")
    d = s * tau ** (alpha - 1) * (np.pi**2 * (k1**2 + k2**2) + tau**2) ** (-alpha / 2)
    d[0, 0] = 0.0
    c = idct(np.eye(s), type=2, norm="ortho", axis=0)  # c[i, k]: basis k at node i
    return (c[:, None, :, None] * c[None, :, None, :] * d).reshape(s * s, s * s)


def reaction_of(spec: Path) -> float:
    """c of ``-lap u + c u = -f`` in a Gaussian-source family: its ``[reference] reaction``
    (``darcy_fd``; 0 when absent), evaluated with the spec's parameters (helmholtz.toml: -k^2)."""
    import pinnlab
    from pinnlab.reference.exact import evaluate_expression

    problem = pinnlab.load(spec)
    text = str(problem.reference.options.get("reaction", "0"))
    mesh = {c: np.zeros(1) for c in problem.coords}
    return float(evaluate_expression(problem, text, mesh, "reference.reaction")[0])


class GaussianOracle:
    """The exact posterior of a Gaussian family (Poisson and Helmholtz: ``f ~ N(0, K)`` on the
    grid's nodes, ``u = S f`` with ``S`` zero on the walls and ``-A^{-1}`` on the interior,
    ``A`` the five-point matrix of ``-lap + c`` (``c = 0`` for Poisson, ``-k^2`` for
    Helmholtz)): observations ``y = H f`` of f at some nodes and of u at others (rows of
    ``S``), noise-free up to a 1e-8 jitter; the mean and the marginal standard deviations of f
    and u. Not a competitor: it knows the family's covariance, so no method can beat its mean
    in expectation.

    ``K`` (n x n, row-major over (x, y); taken over, not copied), then ``S K`` and ``S K S^T``
    formed once by sparse solves; a posterior then costs O(n m^2) for m observations
    (n = 16 384 at 128 x 128)."""

    def __init__(self, x: np.ndarray, y: np.ndarray, k: np.ndarray, reaction: float = 0.0):
        from scipy.sparse.linalg import splu

        from pinnlab.reference.diffusion import darcy_matrix

        nx, ny = len(x), len(y)
        self.shape = (nx, ny)
        self.k = k
        lu = splu(darcy_matrix(x, y, np.ones((nx, ny)), reaction).tocsc())
        self.inner = np.flatnonzero(np.pad(np.ones((nx - 2, ny - 2), bool), 1).ravel())

        def apply_s(m: np.ndarray) -> np.ndarray:  # S @ m, m (n, r), in blocks of columns
            out = np.zeros_like(m)
            for j in range(0, m.shape[1], 1024):
                out[self.inner, j:j + 1024] = -lu.solve(np.ascontiguousarray(
                    m[self.inner, j:j + 1024]))
            return out

        self.apply_s = apply_s
        self.sk = apply_s(k)                               # S K
        self.sks = apply_s(np.ascontiguousarray(self.sk.T))  # S K S^T (K symmetric)

    def posterior(self, f_nodes: np.ndarray, f_values: np.ndarray, u_nodes: np.ndarray,
                  u_values: np.ndarray) -> dict[str, np.ndarray]:
        """Means and sds of f and u, each (nx, ny), from values at grid nodes (k, 2)."""
        flat = lambda n: np.ravel_multi_index((n[:, 0], n[:, 1]), self.shape)  # noqa: E731
        fi, ui = flat(f_nodes), flat(u_nodes)
        kh = np.concatenate([self.k[:, fi], self.sk[ui].T], 1)       # K H^T, (n, m)
        skh = np.concatenate([self.sk[:, fi], self.sks[:, ui]], 1)   # S K H^T
        gram = np.concatenate([kh[fi], skh[ui]])                     # H K H^T
        gram += 1e-8 * np.trace(gram) / len(gram) * np.eye(len(gram))
        obs = np.concatenate([f_values, u_values])
        inv = np.linalg.inv(0.5 * (gram + gram.T))
        w = inv @ obs
        var = lambda d, a: np.clip(d - ((a @ inv) * a).sum(1), 0, None)  # noqa: E731
        sd = lambda v: np.sqrt(v).reshape(self.shape)  # noqa: E731
        return {"f": (kh @ w).reshape(self.shape), "u": (skh @ w).reshape(self.shape),
                "f_sd": sd(var(np.diag(self.k), kh)), "u_sd": sd(var(np.diag(self.sks), skh))}
