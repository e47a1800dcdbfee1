"""Guided reconstruction of a field (and a PDE parameter) from sparse measurements with a prior.

Observations: a boolean ``mask`` and ``values`` on the prior's grid, shape (channels, *grid),
physical units. Misfit r = mask * (u0_hat - values) / scale with u0_hat the prior's denoised
estimate and ``scale`` each channel's spread in the prior's training data (so the misfit is in
the prior's normalised units: a channel of small values, such as a pressure of order 1e-2 next
to a permeability of order 10, is steered as firmly as any other).

* "dps" (Chung et al. 2023): deterministic DDIM steps in (y, sigma_tilde) on a uniform-s grid;
  before each step y <- y - zeta / alpha^2 grad_y |r(u0_hat(y))| (gradient through the
  denoiser; the norm of the normalised misfit, not its square, makes zeta scale-free;
  1/alpha^2 turns an x-space step into the y frame).
* "dps_pde" (DiffusionPDE-style): as "dps", and over the last ``pde_fraction`` of the steps the
  loss is
  |r| + pde_weight |R(u0_hat, theta)| with R the discrete PDE residual and theta the PDE parameter,
  re-estimated at every step by least squares on the current u0_hat (per sample).
* "dps_solve": as "dps", with the solved field of each estimate u0_hat replaced by a reference
  solve from its other fields (``solver``, a :class:`~.solver_map.SolverMap`: Darcy's
  u = S(a)), so the misfit steers the coefficient through the physics; every sample obeys
  the solver exactly.
* "flowchef" (Patel et al. 2024), rectified-flow priors only: Euler steps in s with v held fixed;
  x0_hat = z - s v; z <- z - zeta/(2 scale^2) grad_{x0_hat} |r|^2 (no gradient through the
  network; zeta = 1 moves the observed entries of x0_hat onto the data); z <- z + ds v.

Each returns posterior samples (n, channels, *grid), the per-sample parameter (if a PDE is given),
their
mean and standard deviation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..errors import DataError, SpecError
from .denoiser import Denoiser
from .schedule import time_grid


@dataclass
class Observations:
    """mask (channels, *grid) bool, values (channels, *grid) physical, noise standard deviation."""

    mask: torch.Tensor
    values: torch.Tensor
    noise_std: float = 0.0

    def __post_init__(self):
        self.mask = torch.as_tensor(self.mask, dtype=torch.bool)
        self.values = torch.as_tensor(self.values)
        if not bool(self.mask.any()):
            raise DataError("the observation mask has no observed points", key="mask")
        if not torch.isfinite(self.values[self.mask]).all():
            raise DataError("observed values contain NaN or infinite entries", key="values")

    @property
    def count(self) -> int:
        return int(self.mask.sum())


def fitted_parameters(problem) -> list[str]:
    """The parameters PDE guidance may fit: the ``[family]`` ones, else the unknown ones."""
    return list(problem.family) or problem.unknowns


class SpecPDE:
    """A spec's equation as the PDE of the guidance: its compiled residual on the prior's grid,
    derivatives from the engine's grid backend (:class:`pinnlab.grid_jet.GridJets`; default
    operators: central differences in time, the sine projection with ``modes`` modes in space),
    in units of one time step (``R · Δt``). The prior's channels are the spec's fields in order
    (a coefficient the PDE multiplies, such as Darcy's permeability, is then a field like the
    solution). The unknown, if any, is the spec's one ``[family]`` parameter (else its one
    unknown parameter), re-estimated by least squares: the residual is affine in it
    (``R(p) = R(0) + p (R(1) − R(0))``, checked at a third value), so
    ``p* = −⟨R(0), D⟩ / ⟨D, D⟩`` with ``D = R(1) − R(0)``, per sample."""

    def __init__(self, problem, axes: dict[str, np.ndarray], *, operators=None, modes: int = 8):
        from ..grid_jet import GridJets
        from ..jet import JetBasis

        names = fitted_parameters(problem)
        if len(problem.equations) != 1 or len(names) > 1:
            raise SpecError("PDE guidance needs a spec with one equation and at most one "
                            "[family] or unknown parameter", file=problem.source, key="family")
        self.problem = problem
        (self.equation,) = problem.compiled_equations().values()
        self.param_name = names[0] if names else None
        ops = {c: "central" if c == problem.time else "sine" for c in problem.coords}
        self.grid = GridJets(axes, list(problem.coords), {**ops, **(operators or {})}, modes)
        self.basis = JetBasis(len(problem.coords), [s.index for s in self.equation.needed()])
        self.step = float(np.diff(axes[problem.time])[0]) if problem.time in axes else 1.0
        self.known = {k: p.value for k, p in problem.parameters.items() if not p.unknown}
        self._affine: bool | None = None

    def residual(self, u: torch.Tensor, params: torch.Tensor | None = None) -> torch.Tensor:
        """R · Δt on the grid's interior, (n, *interior), for fields u (n, fields, *grid) and
        the family parameter per sample (n,) (None when the spec has none)."""
        from ..losses import environment, release_environment

        jet = self.grid.jet(u, self.basis)
        points = self.grid.points().to(u)
        m = points.shape[0]
        values = {k: torch.as_tensor(v, dtype=u.dtype, device=u.device)
                  for k, v in self.known.items()}
        if self.param_name is not None:
            values[self.param_name] = params.to(u).repeat_interleave(m)
        pts = points.repeat(u.shape[0], 1)
        r = self.equation.evaluate(environment(self.problem, pts, jet, values))
        release_environment()
        shape = [len(v) for v in self.grid.interior().values()]
        return r.reshape(u.shape[0], *shape) * self.step

    def fit(self, u: torch.Tensor) -> torch.Tensor | None:
        """The least-squares family parameter per sample, shape (n,); None without one."""
        if self.param_name is None:
            return None
        n = u.shape[0]
        r0, r1 = (self.residual(u, torch.full((n,), v, dtype=u.dtype)) for v in (0.0, 1.0))
        d = r1 - r0
        if self._affine is None:  # once: the residual must be affine in the parameter
            r2 = self.residual(u, torch.full((n,), 2.0, dtype=u.dtype))
            size = float(r0.abs().max() + 2 * d.abs().max())
            gap = float((r2 - r0 - 2 * d).abs().max())
            self._affine = gap <= 100 * torch.finfo(u.dtype).eps * size
            if not self._affine:
                raise SpecError(f"the least-squares fit needs an equation affine in "
                                f"{self.param_name}", file=self.problem.source, key="equations")
        dims = tuple(range(1, d.dim()))
        return -(r0 * d).sum(dims) / (d * d).sum(dims).clamp_min(1e-30)


GUIDANCES = ("dps", "dps_pde", "dps_solve", "flowchef")


@dataclass
class Reconstruction:
    samples: torch.Tensor
    params: torch.Tensor | None

    @property
    def mean(self):
        return self.samples.mean(0)

    @property
    def std(self):
        return self.samples.std(0)


def _norms(r: torch.Tensor) -> torch.Tensor:
    return r.reshape(r.shape[0], -1).norm(dim=1)


def reconstruct(prior, obs: Observations, *, method: str = "dps_pde", n_samples: int = 8,
                nfe: int = 50, zeta: float = 1.0, pde=None, pde_weight: float = 1.0,
                pde_fraction: float = 0.3, seed: int = 0, solver=None) -> Reconstruction:
    """Posterior samples of the field given ``obs`` with ``prior`` (a :class:`~.prior.Prior`)."""
    if method not in GUIDANCES:
        raise SpecError(f"unknown guidance {method!r}; use {', '.join(GUIDANCES)}",
                        key="method")
    if method == "dps_pde" and pde is None:
        raise SpecError("dps_pde needs a PDE residual (pde=...)", key="pde")
    if method == "dps_solve" and solver is None:
        raise SpecError("dps_solve needs a solver map (solver=...)", key="solver")
    if method == "flowchef" and prior.config.objective != "rf":
        raise SpecError("flowchef steers rectified-flow priors only", key="method")
    grid_shape = tuple(obs.mask.shape[1:])
    if obs.mask.shape[0] != prior.config.channels:
        raise DataError(f"observations have {obs.mask.shape[0]} channels, the prior "
                        f"{prior.config.channels}", key="mask")
    mask = obs.mask.to(prior.device)[None]
    values = obs.values.to(prior.device, prior.dtype)[None]
    x_T = prior.noise(n_samples, grid_shape, seed)
    sch = prior.schedule
    sigma_start = float(sch.sigma_tilde(prior.t_start))
    sigmas = time_grid(sch, nfe, "uniform_s", sigma_start=sigma_start)
    den = Denoiser(prior, sch, prior.prediction)
    y = x_T / float(sch.alpha(prior.t_start))
    pde_from = int((1.0 - pde_fraction) * nfe)
    params = None
    for i in range(nfe):
        s, t = float(sigmas[i]), float(sigmas[i + 1])
        if method == "flowchef":
            y = _flowchef_step(prior, den, y, s, t, mask, values, zeta)
            continue
        y = y.detach().requires_grad_(True)
        eps, x0 = den(y, s)
        u0 = prior.to_physical(x0)
        if method == "dps_solve":
            u0, params = solver(u0, obs)
        loss = _norms(mask * (u0 - values) / prior.scale)
        if method == "dps_pde" and i >= pde_from:
            params = pde.fit(u0.detach())
            loss = loss + pde_weight * _norms(pde.residual(u0, params))
        (grad,) = torch.autograd.grad(loss.sum(), y)
        inv_alpha2 = float(sch.alpha_of_sigma_tilde(s)) ** -2
        y = (y + (t - s) * eps - zeta * inv_alpha2 * grad).detach()
    u = prior.to_physical(y)
    if method == "dps_solve":
        u, params = solver(u, obs)
    elif pde is not None:
        params = pde.fit(u)
    return Reconstruction(u.detach(), None if params is None else params.detach())


def _flowchef_step(prior, den, y, s, t, mask, values, zeta):
    """One FlowChef step in the flow variable (z = y/(1 + sigma), time r = sigma/(1 + sigma))."""
    with torch.no_grad():
        eps, x0 = den(y, s)
        r_s, r_t = s / (1 + s), t / (1 + t)
        z = y / (1 + s)
        v = eps - x0
        x0_hat = z - r_s * v
        u0 = prior.to_physical(x0_hat)
        grad = mask * (u0 - values) / prior.scale  # (1 / 2 scale^2) d|r|^2 / d x0_hat
        z = z - zeta * grad
        z = z + (r_t - r_s) * v
        return z * (1 + t)
