"""Case 1 PINN: the simplified-physics flame, forward (s_L as eigenvalue) and inverse.

Model. x* = x·(10/L) is the network input; the output is mapped by the bounded hard constraint

    T(x) = T_in + (T_max − T_in)·sigmoid(N(x*)),

which excludes both non-physical branches of the shooting problem (flashback T < T_in and blow-out
T > T_max). Derivatives come from Taylor jets (:mod:`pinnlab.flames.jet`), dT/dx = (10/L) dT/dx*.

Losses (each a mean square of a dimensionless quantity; scale_T = 5/T_max, scale_x = 10/L):

* energy residual r·scale_T/scale_x, with r from :meth:`SimpleFlame.energy_residual`;
* forward: inlet conditions scale_T·(T(0) − T_in) and (T'(0) − g0)/g0;
* inverse: observations scale_T·(T − T_obs) and scale_u·(u(T; s_L) − u_obs), scale_u = 5/max u_obs.

Unknown scalars are trainable: s_L [m/s] (forward and inverse), 10·λ and 1e-6·E_a (inverse).
Training: a warm-up fit of a Z-shaped profile (forward) or of the T observations (inverse), then
Adam with step decay, then L-BFGS.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ..errors import DataError, SpecError
from .jet import Jet
from .nets import MLP
from .simple import SimpleFlame
from .training import StageLog, adam_stage, lbfgs_stage


@dataclass
class Budget:
    """Iteration counts and optimiser settings of one solve."""

    warmup: int = 1000
    adam: int = 30000
    lbfgs: int = 5000
    lr: float = 1e-3
    decay: float = 0.95
    decay_every: int = 1000
    n_collocation: int = 1001
    width: int = 64
    depth: int = 3
    seed: int = 0


@dataclass
class Observations:
    """Point observations of T [K] and u [m/s] at x [m] (arrays of shape (n,))."""

    x: np.ndarray
    T: np.ndarray
    u: np.ndarray

    def __post_init__(self) -> None:
        for name in ("x", "T", "u"):
            arr = np.asarray(getattr(self, name), dtype=float)
            if arr.ndim != 1 or not np.all(np.isfinite(arr)):
                raise DataError("observations must be finite 1D arrays", key=f"observations.{name}")
            setattr(self, name, arr)
        if not (len(self.x) == len(self.T) == len(self.u)) or len(self.x) == 0:
            raise DataError("observations x, T, u must have one common non-zero length",
                            key="observations")


@dataclass
class Case1Result:
    """Inferred scalars, stage logs and the trained model (call :meth:`temperature`)."""

    s_L: float
    conductivity: float
    activation_energy: float
    stages: list[StageLog] = field(default_factory=list)
    model: Case1Model | None = None

    @property
    def wall_time(self) -> float:
        return sum(s.wall_time for s in self.stages)

    def temperature(self, x: np.ndarray) -> np.ndarray:
        """Predicted T [K] at x [m], shape of x."""
        assert self.model is not None
        p = next(self.model.parameters())
        with torch.no_grad():
            xt = torch.as_tensor(np.asarray(x, float), dtype=p.dtype, device=p.device)
            return self.model.temperature(xt.reshape(-1, 1)).v.reshape(-1).cpu().numpy()

    def velocity(self, x: np.ndarray) -> np.ndarray:
        """Predicted u(T(x); s_L) [m/s] at x [m]."""
        assert self.model is not None
        return self.model.flame.velocity(self.temperature(x), self.s_L)


def preheat_amplitude(flame: SimpleFlame, s_L: float) -> float:
    """g0·λ/(ρ_in s_L c_p) [K]: the amplitude of the preheat exponential T − T_in ≈ A e^{x/δ}."""
    return flame.grad_T0 * flame.conductivity / (flame.rho_in * s_L * flame.cp)


def check_bounds(flame: SimpleFlame, bounds: tuple[float, float] | None, s_L_guess: float
                 ) -> tuple[float, float]:
    """Temperature bounds of the hard constraint; default (T_in − A, T_max).

    The lower bound sits one preheat amplitude A (:func:`preheat_amplitude` at the s_L guess)
    below T_in: the exact profile near the inlet, T_in + A(e^{x/δ} − 1), then has a smooth logit
    (log(T − T_in + A) is nearly linear) instead of the logarithmic singularity at x = 0 that the
    bound T_in itself would force on the network.

    Raises:
        SpecError: the bounds exclude part of the solution's range [T_in, T_max].
    """
    if bounds is None:
        return flame.T_in - preheat_amplitude(flame, s_L_guess), flame.T_max
    lower, upper = float(bounds[0]), float(bounds[1])
    tol = 1e-9 * flame.T_max
    if lower > flame.T_in + tol or upper < flame.T_max - tol or lower <= 0:
        raise SpecError(f"bounds [{lower:g}, {upper:g}] K exclude the solution range "
                        f"[T_in, T_max] = [{flame.T_in:g}, {flame.T_max:.6g}] K",
                        key="temperature_bounds")
    return lower, upper


class Case1Model(torch.nn.Module):
    """Network + bounded temperature map + trainable scalars (see the module docstring)."""

    def __init__(self, flame: SimpleFlame, budget: Budget, s_L_guess: float,
                 conductivity_guess: float | None = None,
                 activation_energy_guess: float | None = None,
                 bounds: tuple[float, float] | None = None,
                 dtype: torch.dtype = torch.float64, device: str | torch.device = "cpu"):
        super().__init__()
        self.flame = flame
        self.bounds = check_bounds(flame, bounds, s_L_guess)
        self.scale_x = 10.0 / flame.length
        self.scale_T = 5.0 / flame.T_max
        self.net = MLP(1, 1, budget.width, budget.depth, dtype=dtype, device=device)
        opts = dict(dtype=dtype, device=device)
        self.s_L = torch.nn.Parameter(torch.tensor(float(s_L_guess), **opts))
        self.lam10 = None if conductivity_guess is None else torch.nn.Parameter(
            torch.tensor(10.0 * conductivity_guess, **opts))
        self.Ea_e6 = None if activation_energy_guess is None else torch.nn.Parameter(
            torch.tensor(1e-6 * activation_energy_guess, **opts))

    def conductivity(self):
        return self.flame.conductivity if self.lam10 is None else self.lam10 / 10.0

    def activation_energy(self):
        return self.flame.activation_energy if self.Ea_e6 is None else self.Ea_e6 * 1e6

    def temperature(self, x: torch.Tensor) -> Jet:
        """T and its x-derivatives [K, K/m, K/m²] at x [m] of shape (N, 1)."""
        lower, upper = self.bounds
        z = self.net(Jet.variable(x * self.scale_x)).sigmoid()
        s = self.scale_x
        dT = upper - lower
        return Jet(lower + dT * z.v, dT * s * z.d1, dT * s * s * z.d2)

    def residual(self, x: torch.Tensor, local: bool = False) -> torch.Tensor:
        """Scaled energy residual at x (N, 1) → (N, 1).

        Global scaling multiplies r by scale_T/scale_x. ``local`` divides r by |T'| + g0 (the
        weight detached), a residual relative to the convective term, so the preheat zone, whose
        exponential amplitude fixes the flame position, counts as much as the reaction zone.
        """
        T = self.temperature(x)
        f = self.flame
        r = f.energy_residual(T.v, T.d1, T.d2, self.s_L, self.conductivity(),
                              self.activation_energy())
        if not local:
            return r * (self.scale_T / self.scale_x)
        return r / (T.d1.detach().abs() + f.grad_T0)


def _zshape(flame: SimpleFlame, n: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Warm-up target: T_in on [0, 0.3L], linear to T_max on [0.3L, 0.5L], T_max beyond."""
    x = np.linspace(0.0, flame.length, n)
    ramp = np.clip((x / flame.length - 0.3) / 0.2, 0.0, 1.0)
    return x, flame.T_in + (flame.T_max - flame.T_in) * ramp


def _fit_stage(model: Case1Model, x: np.ndarray, T: np.ndarray, iterations: int,
               lr: float) -> StageLog:
    p = model.s_L
    xt = torch.as_tensor(x, dtype=p.dtype, device=p.device).reshape(-1, 1)
    Tt = torch.as_tensor(T, dtype=p.dtype, device=p.device).reshape(-1, 1)

    def loss_fn():
        Tp = model.temperature(xt).v
        loss = ((Tp - Tt) * model.scale_T).pow(2).mean()
        return loss, {}

    return adam_stage("warm-up", list(model.net.parameters()), loss_fn, iterations, lr=lr,
                      decay=1.0)


def _train(model: Case1Model, loss_fn, budget: Budget, warm: tuple[np.ndarray, np.ndarray]
           ) -> list[StageLog]:
    stages = [_fit_stage(model, *warm, budget.warmup, budget.lr)] if budget.warmup else []
    params = list(model.parameters())
    if budget.adam:
        stages.append(adam_stage("adam", params, loss_fn, budget.adam, lr=budget.lr,
                                 decay=budget.decay, decay_every=budget.decay_every))
    if budget.lbfgs:
        stages.append(lbfgs_stage("lbfgs", params, loss_fn, max_iter=budget.lbfgs))
    return stages


def _collocation(flame: SimpleFlame, n: int, like: torch.Tensor) -> torch.Tensor:
    return torch.linspace(0.0, flame.length, n, dtype=like.dtype, device=like.device
                          ).reshape(-1, 1)


def solve_forward(flame: SimpleFlame, budget: Budget | None = None, s_L_guess: float = 0.4,
                  bc_weight: float = 1.0, local_scaling: bool = False,
                  bounds: tuple[float, float] | None = None, dtype: torch.dtype = torch.float64,
                  device: str | torch.device = "cpu") -> Case1Result:
    """Flame speed and T(x) of ``flame`` by a PINN with s_L as trainable eigenvalue."""
    budget = budget or Budget()
    if not 0.0 < s_L_guess:
        raise SpecError(f"s_L guess must be positive, got {s_L_guess}", key="s_L.guess")
    torch.manual_seed(budget.seed)
    model = Case1Model(flame, budget, s_L_guess, bounds=bounds, dtype=dtype, device=device)
    x = _collocation(flame, budget.n_collocation, model.s_L)
    x0 = x[:1]

    def loss_fn():
        res = model.residual(x, local_scaling).pow(2).mean()
        T0 = model.temperature(x0)
        bc_T = ((T0.v - flame.T_in) * model.scale_T).pow(2).sum()
        bc_g = ((T0.d1 - flame.grad_T0) / flame.grad_T0).pow(2).sum()
        loss = res + bc_weight * (bc_T + bc_g)
        return loss, {"residual": float(res.detach()), "bc_T": float(bc_T.detach()),
                      "bc_dT": float(bc_g.detach())}

    stages = _train(model, loss_fn, budget, _zshape(flame))
    return Case1Result(float(model.s_L.detach()), flame.conductivity, flame.activation_energy,
                       stages, model)


def solve_inverse(flame: SimpleFlame, observations: Observations, budget: Budget | None = None,
                  s_L_guess: float = 0.4, conductivity_guess: float = 0.03,
                  activation_energy_guess: float = 1.5e5, obs_weight: float = 1.0,
                  bounds: tuple[float, float] | None = None,
                  dtype: torch.dtype = torch.float64, device: str | torch.device = "cpu"
                  ) -> Case1Result:
    """Infer s_L, λ and E_a of ``flame`` from T and u observations (no boundary conditions).

    ``flame.conductivity`` and ``flame.activation_energy`` are not used by the fit (only the
    guesses are); they serve as the truth in the returned errors' computation by the caller.
    """
    budget = budget or Budget()
    obs = observations
    if np.any(obs.x < 0) or np.any(obs.x > flame.length):
        raise DataError(f"observation x outside [0, {flame.length}] m", key="observations.x")
    torch.manual_seed(budget.seed)
    model = Case1Model(flame, budget, s_L_guess, conductivity_guess, activation_energy_guess,
                       bounds=bounds, dtype=dtype, device=device)
    x = _collocation(flame, budget.n_collocation, model.s_L)
    opts = dict(dtype=model.s_L.dtype, device=model.s_L.device)
    xo = torch.as_tensor(obs.x, **opts).reshape(-1, 1)
    To = torch.as_tensor(obs.T, **opts).reshape(-1, 1)
    uo = torch.as_tensor(obs.u, **opts).reshape(-1, 1)
    scale_u = 5.0 / float(np.max(np.abs(obs.u)))

    def loss_fn():
        res = model.residual(x).pow(2).mean()
        T = model.temperature(xo).v
        ob_T = ((T - To) * model.scale_T).pow(2).mean()
        ob_u = ((flame.velocity(T, model.s_L) - uo) * scale_u).pow(2).mean()
        loss = res + obs_weight * (ob_T + ob_u)
        return loss, {"residual": float(res.detach()), "obs_T": float(ob_T.detach()),
                      "obs_u": float(ob_u.detach())}

    stages = _train(model, loss_fn, budget, (obs.x, np.clip(obs.T, flame.T_in + 1e-3,
                                                            flame.T_max - 1e-3)))
    lam, Ea = (float(torch.as_tensor(v).detach()) for v in (model.conductivity(),
                                                             model.activation_energy()))
    return Case1Result(float(model.s_L.detach()), lam, Ea, stages, model)


def noisy_observations(x: np.ndarray, T: np.ndarray, u: np.ndarray, n: int, noise: float,
                       seed: int = 0) -> Observations:
    """n uniformly spaced samples of (T, u) with multiplicative noise y·(1 + noise·N(0, 1))."""
    rng = np.random.default_rng(seed)
    xo = np.linspace(x[0], x[-1], n)
    To = np.interp(xo, x, T) * (1.0 + noise * rng.standard_normal(n))
    uo = np.interp(xo, x, u) * (1.0 + noise * rng.standard_normal(n))
    return Observations(xo, To, uo)
