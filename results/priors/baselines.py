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


def train_fno(inputs: np.ndarray, outputs: np.ndarray, seed: int = 0):
    """An FNO from inputs (n, 32, 32) to outputs (n, 32, 32), both standardised; returns
    ``predict(inputs (m, 32, 32)) -> (m, 32, 32)`` and the training seconds."""
    from neuralop.models import FNO

    torch.manual_seed(seed)
    mi, si, mo, so = inputs.mean(), inputs.std(), outputs.mean(), outputs.std()
    x = torch.tensor((inputs - mi) / si, dtype=torch.float32)[:, None]
    y = torch.tensor((outputs - mo) / so, dtype=torch.float32)[:, None]
    model = FNO(n_modes=(12, 12), in_channels=1, out_channels=1, hidden_channels=32)
    steps = FNO_EPOCHS * (len(x) // FNO_BATCH)
    opt = torch.optim.Adam(model.parameters(), lr=FNO_LR)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    gen = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for _ in range(steps):
        idx = torch.randint(0, len(x), (FNO_BATCH,), generator=gen)
        loss = ((model(x[idx]) - y[idx]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    seconds = time.perf_counter() - start
    model.eval()

    def predict(z: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            out = model(torch.tensor((z - mi) / si, dtype=torch.float32)[:, None])
        return out[:, 0].double().numpy() * so + mo

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


class GaussianOracle:
    """The exact posterior of a Gaussian family (Poisson: ``f ~ N(0, K)`` with the family's
    squared-exponential covariance on the grid's nodes, ``u = -A^{-1} f`` on the interior with
    ``A`` the five-point matrix of ``-lap``, ``u = 0`` on the walls): observations ``y = H f``
    of f at some nodes and of u at others (rows of ``-A^{-1}``), noise-free up to a 1e-8
    jitter; the mean and the marginal standard deviations of f and u. Not a competitor: it
    knows the family's covariance, so no method can beat its mean in expectation."""

    def __init__(self, x: np.ndarray, y: np.ndarray, length_scale: float, std: float = 1.0):
        from pinnlab.reference.diffusion import darcy_matrix

        nx, ny = len(x), len(y)
        pts = np.stack([g.ravel() for g in np.meshgrid(x, y, indexing="ij")], 1)
        d2 = ((pts[:, None] - pts[None]) ** 2).sum(-1)
        self.k = std**2 * np.exp(-d2 / (2 * length_scale**2)) + 1e-6 * np.eye(len(pts))
        inner = np.zeros((nx, ny), bool)
        inner[1:-1, 1:-1] = True
        a_inv = np.linalg.inv(darcy_matrix(x, y, np.ones((nx, ny))).toarray())
        self.solve = np.zeros((nx * ny, nx * ny))  # u = solve @ f on every node
        idx = np.flatnonzero(inner.ravel())
        self.solve[np.ix_(idx, idx)] = -a_inv
        self.shape = (nx, ny)

    def posterior(self, f_nodes: np.ndarray, f_values: np.ndarray, u_nodes: np.ndarray,
                  u_values: np.ndarray) -> dict[str, np.ndarray]:
        """Means and sds of f and u, each (nx, ny), from values at grid nodes (k, 2)."""
        flat = lambda n: np.ravel_multi_index((n[:, 0], n[:, 1]), self.shape)  # noqa: E731
        h = np.concatenate([np.eye(len(self.k))[flat(f_nodes)], self.solve[flat(u_nodes)]])
        obs = np.concatenate([f_values, u_values])
        kh = self.k @ h.T
        gram = h @ kh
        gram += 1e-8 * np.trace(gram) / len(gram) * np.eye(len(gram))
        gain = np.linalg.solve(gram, kh.T).T  # K H^T (H K H^T)^-1
        f_mean = gain @ obs
        f_cov = self.k - gain @ kh.T
        u_cov = self.solve @ f_cov @ self.solve.T
        sd = lambda c: np.sqrt(np.clip(np.diag(c), 0, None)).reshape(self.shape)  # noqa: E731
        return {"f": f_mean.reshape(self.shape), "u": (self.solve @ f_mean).reshape(self.shape),
                "f_sd": sd(f_cov), "u_sd": sd(u_cov)}
