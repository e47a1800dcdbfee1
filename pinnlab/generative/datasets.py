"""PDE solution-field families for training generative priors, from pinnlab's reference solvers.

Every family returns a :class:`FieldDataset`: ``fields`` of shape (n, channels, *grid) float32, the
PDE
parameters ``params`` (n, n_params) with their names, and the grid coordinates by name.

* :func:`heat_family`: u_t = kappa u_xx on x in [0, 1], u(0, t) = u(1, t) = 0, t in [0, t_end];
  u0 = sum_{k=1}^{K} a_k sin(k pi x) with a_k ~ N(0, 1/k^2); exact solution
  u = sum_k a_k exp(-kappa k^2 pi^2 t) sin(k pi x); kappa ~ U(kappa_min, kappa_max). Field (t, x).
* :func:`burgers_family`: u_t + u u_x = nu u_xx, u0 = -sin(pi x) on [-1, 1], u(+-1, t) = 0, by the
  Cole-Hopf solver :func:`pinnlab.reference.burgers.burgers_cole_hopf`; log nu ~ U. Fields (t, x)
  and
  the final-time 1-D profiles.
* :func:`darcy_family`: -div(a grad u) = 1 on the unit square, u = 0 on the boundary, by
  second-order
  finite differences (scipy sparse), a = exp(g) with g a Gaussian random field of
  squared-exponential
  covariance; joint field [a, u] (2 channels).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DataError


@dataclass
class FieldDataset:
    """fields (n, channels, *grid); params (n, p) named by ``param_names``; coords by axis name."""

    fields: np.ndarray
    params: np.ndarray
    param_names: list[str]
    coords: dict[str, np.ndarray]
    family: str
    meta: dict = field(default_factory=dict)

    def save(self, path: str | Path) -> None:
        from ..io import atomic_npz

        atomic_npz(path, compressed=True, fields=self.fields, params=self.params,
                   param_names=np.array(self.param_names), family=self.family,
                   axes=np.array(list(self.coords)),
                   **{f"coord_{k}": v for k, v in self.coords.items()})

    @classmethod
    def load(cls, path: str | Path, key: str = "--data") -> FieldDataset:
        from ..spec.toml import read_npz

        z = read_npz(str(path), file=str(path), key=key)
        try:
            axes = [str(a) for a in z["axes"]]
            ds = cls(z["fields"], z["params"], [str(p) for p in z["param_names"]],
                     {a: z[f"coord_{a}"] for a in axes}, str(z["family"]))
        except (KeyError, TypeError, ValueError):
            raise DataError("not a field dataset written by 'pinnlab prior data'",
                            file=str(path), key=key) from None
        if ds.fields.ndim < 3 or not np.issubdtype(ds.fields.dtype, np.floating):
            raise DataError("fields must be a float array (n, channels, *grid)",
                            file=str(path), key=key)
        return ds


def heat_family(n: int, nx: int = 32, nt: int = 32, *, t_end: float = 0.05, n_modes: int = 4,
                kappa_range: tuple[float, float] = (0.2, 1.0), seed: int = 0) -> FieldDataset:
    """n exact heat-equation fields on the (t, x) grid, shape (n, 1, nt, nx)."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0.0, 1.0, nx)
    t = np.linspace(0.0, t_end, nt)
    kappa = rng.uniform(*kappa_range, n)
    k = np.arange(1, n_modes + 1)
    amp = rng.standard_normal((n, n_modes)) / k
    decay = np.exp(-kappa[:, None, None] * (k * np.pi) ** 2 * t[None, :, None])  # (n, nt, K)
    modes = np.sin(np.pi * k[:, None] * x[None, :])                              # (K, nx)
    u = np.einsum("nk,ntk,kx->ntx", amp, decay, modes)
    return FieldDataset(u[:, None].astype(np.float32), kappa[:, None], ["kappa"], {"t": t, "x": x},
                        "heat", {"t_end": t_end, "n_modes": n_modes})


def burgers_family(n: int, nx: int = 64, nt: int = 64, *, nu_range=(0.01 / np.pi, 0.1),
                   seed: int = 0) -> FieldDataset:
    """Burgers fields (n, 1, nt, nx) on [-1, 1] x [0, 1] for log-uniform viscosities nu."""
    from ..reference.burgers import burgers_cole_hopf

    rng = np.random.default_rng(seed)
    nus = np.exp(rng.uniform(np.log(nu_range[0]), np.log(nu_range[1]), n))
    x = np.linspace(-1.0, 1.0, nx)
    t = np.linspace(0.0, 1.0, nt)
    tt, xx = np.meshgrid(t, x, indexing="ij")
    u = np.stack([burgers_cole_hopf(xx, tt, nu) for nu in nus])
    return FieldDataset(u[:, None].astype(np.float32), nus[:, None], ["nu"], {"t": t, "x": x},
                        "burgers")


def final_profiles(ds: FieldDataset) -> FieldDataset:
    """1-D fields u(x, t_end) of a (t, x) family, shape (n, 1, nx)."""
    return FieldDataset(ds.fields[:, :, -1, :], ds.params, ds.param_names, {"x": ds.coords["x"]},
                        ds.family + "-final")


def darcy_family(n: int, size: int = 32, *, length_scale: float = 0.15, log_std: float = 1.0,
                 seed: int = 0) -> FieldDataset:
    """Joint [a, u] fields (n, 2, size, size) of -div(a grad u) = 1, u = 0 on the boundary."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import spsolve

    rng = np.random.default_rng(seed)
    x = np.linspace(0.0, 1.0, size)
    h = x[1] - x[0]
    xx, yy = np.meshgrid(x, x, indexing="ij")
    pts = np.stack([xx.ravel(), yy.ravel()], 1)
    d2 = ((pts[:, None] - pts[None]) ** 2).sum(-1)
    chol = np.linalg.cholesky(np.exp(-d2 / (2 * length_scale**2)) + 1e-6 * np.eye(size * size))
    m = size - 2
    idx = np.arange(m * m).reshape(m, m)
    out = np.empty((n, 2, size, size), np.float32)
    for s in range(n):
        a = np.exp(log_std * (chol @ rng.standard_normal(size * size))).reshape(size, size)
        ax = 0.5 * (a[1:, :] + a[:-1, :])  # faces between i and i+1
        ay = 0.5 * (a[:, 1:] + a[:, :-1])
        rows, cols, vals = [], [], []
        for i in range(1, size - 1):
            for j in range(1, size - 1):
                p = idx[i - 1, j - 1]
                w = (ax[i - 1, j], ax[i, j], ay[i, j - 1], ay[i, j])
                rows.append(p), cols.append(p), vals.append(sum(w) / h**2)
                for (ii, jj), c in zip(((i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1)), w,
                                       strict=True):
                    if 0 < ii < size - 1 and 0 < jj < size - 1:
                        rows.append(p), cols.append(idx[ii - 1, jj - 1]), vals.append(-c / h**2)
        mat = sp.csr_matrix((vals, (rows, cols)), shape=(m * m, m * m))
        u = np.zeros((size, size))
        u[1:-1, 1:-1] = spsolve(mat, np.ones(m * m)).reshape(m, m)
        out[s, 0], out[s, 1] = a, u
    return FieldDataset(out, np.zeros((n, 0)), [], {"x": x, "y": x}, "darcy",
                        {"length_scale": length_scale, "log_std": log_std})


FAMILIES = {"heat": heat_family, "burgers": burgers_family, "darcy": darcy_family}
