"""Case 3 PINN, inverse: counterflow premixed flame, Λ and E_a from point observations.

Outputs of a network N(x*), x* = 4x/L − 2: u = U·N_u, V = S·N_V (U, S: the largest observed |u|,
|V|), T = T_lo + (T_hi − T_lo)·sigmoid(N_T), Y = softmax(N_Y). Unknown scalars: the pressure
curvature Λ (trainable 1e-5·Λ) and the activation energy of every reaction, E_a = f·E_a,nominal
with f = (1e-8·E_a)/(1e-8·E_a,nominal) trainable through 1e-8·E_a (the published scalings).

Loss = mean squares of the residuals of :func:`~pinnlab.flames.detailed.counterflow_residuals`,
each divided by a fixed scale built from the observations (ρ̄ U/ℓ for continuity, ρ̄ S² for
momentum, ρ̄ U c_p ΔT/ℓ for energy, ρ̄ U ΔY_k/ℓ for species, ℓ = L/20), plus 100 × the mean square
of the observation misfits (u/U, V/S, T·5/T_hi, Y_k·scale_Yk). No boundary conditions.
Training: data-only warm-up, then Adam, then L-BFGS. Optionally a share ``zone_fraction`` of the
collocation points lies in the observed flame zone (:func:`flame_zone`), and Adam redraws random
points every ``resample_every`` steps (L-BFGS keeps the uniform + zone grid).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from ..jet import Jet
from . import ops
from .detailed import counterflow_residuals
from .gas import TorchGas
from .kinetics import TorchKinetics
from .nets import MLP
from .training import StageLog, ZonePoints, adam_stage, lbfgs_stage


@dataclass
class CounterflowObservations:
    """u, V [m/s, 1/s], T [K] (n,) and Y (n, K) at x [m] (n,)."""

    x: np.ndarray
    u: np.ndarray
    V: np.ndarray
    T: np.ndarray
    Y: np.ndarray


@dataclass
class Case3Budget:
    warmup: int = 2000
    adam: int = 3000
    lbfgs: int = 5000
    lr: float = 1e-3
    n_collocation: int = 300
    width: int = 64
    depth: int = 4
    obs_weight: float = 100.0
    seed: int = 0
    time_limit: float | None = None
    zone_fraction: float = 0.0  # share of collocation points in the observed flame zone
    resample_every: int = 0  # Adam: redraw random collocation points every k steps (0: fixed)
    adam_share: float = 0.4  # share of time_limit that Adam may use


def flame_zone(obs: CounterflowObservations) -> tuple[float, float]:
    """The observation interval with the largest |ΔT|, widened by one interval on each side."""
    i = int(np.argmax(np.abs(np.diff(obs.T))))
    return float(obs.x[max(i - 1, 0)]), float(obs.x[min(i + 2, len(obs.x) - 1)])


class CounterflowPINN(torch.nn.Module):
    def __init__(self, gas: TorchGas, length: float, obs: CounterflowObservations,
                 Lambda_guess: float, Ea_guess: float, Ea_nominal: float, budget: Case3Budget):
        super().__init__()
        kw = dict(dtype=gas.dtype, device=gas.device)
        self.gas, self.length = gas, length
        self.net = MLP(1, 3 + gas.n_species, budget.width, budget.depth, **kw)
        self.Lambda_s = torch.nn.Parameter(torch.tensor(1e-5 * Lambda_guess, **kw))
        self.Ea_s = torch.nn.Parameter(torch.tensor(1e-8 * Ea_guess, **kw))
        self.Ea_nominal = Ea_nominal
        self.scale_x = 4.0 / length
        self.U = float(np.max(np.abs(obs.u)))
        self.S = float(np.max(np.abs(obs.V)))
        T_min, T_max = float(np.min(obs.T)), float(np.max(obs.T))
        self.lo, self.hi = T_min - 0.05 * (T_max - T_min), T_max + 0.05 * (T_max - T_min)
        self.scale_T = 5.0 / self.hi
        self.scale_Y = torch.as_tensor(5.0 / np.clip(obs.Y.max(0), 1e-3, None), **kw)

    def Lambda(self):
        return self.Lambda_s * 1e5

    def activation_energy(self):
        return self.Ea_s * 1e8

    def fields(self, x: torch.Tensor) -> tuple[Jet, Jet, Jet, Jet]:
        z = self.net(ops.variable(x, self.scale_x, -2.0))
        T = self.lo + (self.hi - self.lo) * z[:, 2:3].sigmoid()
        return z[:, :1] * self.U, z[:, 1:2] * self.S, T, z[:, 3:].softmax()


def solve_counterflow_inverse(gas: TorchGas, length: float, pressure: float,
                              obs: CounterflowObservations, Ea_nominal: float,
                              Lambda_guess: float = -1.0e4, Ea_guess: float = 1.0e8,
                              budget: Case3Budget | None = None
                              ) -> tuple[CounterflowPINN, list[StageLog]]:
    """Infer Λ and E_a (module docstring); returns the model and the stage logs."""
    budget = budget or Case3Budget()
    torch.manual_seed(budget.seed)
    kin = TorchKinetics(gas)
    model = CounterflowPINN(gas, length, obs, Lambda_guess, Ea_guess, Ea_nominal, budget)
    opts = dict(dtype=gas.dtype, device=gas.device)
    xo = torch.as_tensor(obs.x, **opts).reshape(-1, 1)
    uo, Vo, To = (torch.as_tensor(a, **opts).reshape(-1, 1) for a in (obs.u, obs.V, obs.T))
    Yo = torch.as_tensor(obs.Y, **opts)
    colloc = ZonePoints(length, flame_zone(obs), budget.n_collocation, budget.zone_fraction,
                        **opts)
    points = {"x": colloc.grid()}

    def resample(k: int) -> None:
        if budget.resample_every and k % budget.resample_every == 0:
            points["x"] = colloc.draw()
    rho = float(np.mean(pressure * gas.mean_molar_mass(Yo).cpu().numpy()
                        / (gas.gas_constant * obs.T[:, None])))
    ell = length / 20.0
    cp = float(gas.cp_mass(To, Yo).mean())
    dY = torch.as_tensor(np.clip(obs.Y.max(0) - obs.Y.min(0), 1e-3, None), **opts)
    scales = {"continuity": rho * model.U / ell, "momentum": rho * model.S**2,
              "energy": rho * model.U * cp * (obs.T.max() - obs.T.min()) / ell,
              "species": rho * model.U * dY / ell}

    def obs_loss():
        u, V, T, Y = model.fields(xo)
        return ((((u.value - uo) / model.U) ** 2).mean() + (((V.value - Vo) / model.S) ** 2).mean()
                + (((T.value - To) * model.scale_T) ** 2).mean()
                + (((Y.value - Yo) * model.scale_Y) ** 2).mean())

    def loss_fn():
        u, V, T, Y = model.fields(points["x"])
        factor = model.activation_energy() / model.Ea_nominal
        res = counterflow_residuals(gas, kin, u, V, T, Y, model.Lambda(), pressure, factor)
        ode = sum(((r / scales[k]) ** 2).mean() for k, r in res.items())
        return ode + budget.obs_weight * obs_loss(), {}

    stages = [adam_stage("warm-up", list(model.net.parameters()), lambda: (obs_loss(), {}),
                         budget.warmup, lr=budget.lr, decay=1.0)]
    start, limit = time.perf_counter(), budget.time_limit
    stages.append(adam_stage("adam", list(model.parameters()), loss_fn, budget.adam,
                             lr=budget.lr, callback=resample, deadline=None if limit is None
                             else start + budget.adam_share * limit))
    points["x"] = colloc.grid()
    if budget.lbfgs:
        stages.append(lbfgs_stage("lbfgs", list(model.parameters()), loss_fn, budget.lbfgs,
                                  chunk=50, deadline=None if limit is None else start + limit))
    return model, stages
