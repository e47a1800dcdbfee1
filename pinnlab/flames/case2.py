"""Case 2 PINN: freely-propagating flame with detailed physics (torch thermo, transport, kinetics).

Outputs of a network N(x*), x* = 4x/L − 2, with hard constraints:

    T = T_lo + (T_hi − T_lo)·sigmoid(N_0),   Y = softmax(N_1..K)   (Y_k > 0, Σ Y_k = 1),

and the flame speed s_L a trainable scalar (m = ρ_in s_L). Losses, each a mean square of a
dimensionless quantity (scale_T = 5/T_hi, scale_Yk = 5/max(Y_in,k, Y_out,k), scale_x = 4/L):

* residuals of :func:`~pinnlab.flames.detailed.free_flame_residuals`, energy divided by m c_p,in
  times scale_T/scale_x, species divided by m times scale_Yk/scale_x (the inlet flux balance
  likewise); ``flux_scale="fixed"`` divides by m_ref = ρ_in s_L,guess instead of the trainable m
  (a large s_L then no longer shrinks the diffusion and source terms, but s_L → 0 no longer
  costs anything), ``"fixed-pde"`` the same for the residuals but the inlet flux balance still
  divided by m (Y(0) → Y_in as m → 0), ``"min"`` by min(m, m_ref) (neither branch is free);
* inlet: T(0) = T_in and the flux balance m (Y_k − Y_k,in) + j_k = 0 (Cantera's inlet);
* outlet: the burnt state T = T_out, Y = Y_out (HP equilibrium, as published), or zero gradients
  of T and Y (Cantera's outflow condition) with ``outlet="zero-gradient"``, optionally with the
  one-sided penalty T(L) ≥ T_in + f (T_out − T_in) (``burnt_fraction`` f) that excludes the
  frozen branch (a jump to T_f between collocation points, no reaction downstream);
* the fixed-temperature point T(x_f) = T_f that pins the flame against translation.

Training: warm-up fit of a designed profile, then Adam on resampled random collocation points,
then L-BFGS on a fixed grid (or on random points redrawn before every 50-iteration chunk,
``lbfgs_redraw``). The designed profile is either the published one (``"ramp"``: inlet
state, a linear ramp over ±0.1 L around x_f, burnt state) or ``"fixed-point"``: a logistic
θ(x) through the fixed point (θ(x_f) = (T_f − T_in)/(T_out − T_in)) whose thermal thickness
ΔT/max T' is a Cantera-free estimate (Blint's correlation δ = 2 α_in/s_L,guess (T_out/T_in)^0.7),
with T = T_in + ΔT θ and Y = Y_in + (Y_out − Y_in) θ. Options for stiff mechanisms: a share
``zone_fraction`` of the collocation points drawn in the flame zone [x_f − δ, x_f + 2δ], the
warm-up misfit kept in the Adam loss for ``anchor`` steps (full weight for the first half, then
falling linearly to 0; the published Stage 2, "ODE loss + warm-up data"; ``anchor_weights`` for
its T and Y parts: a T-only anchor lets the species adapt to the chemistry on the designed T), the
output biases started at the warm-up's mean state (``init_bias``) and the floor of the species
scales (``scale_floor``: scale_Yk = 5/max(Y_in,k, Y_out,k, floor)).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from ..errors import SpecError
from ..jet import Jet
from . import ops
from .detailed import free_flame_residuals
from .gas import TorchGas
from .kinetics import TorchKinetics
from .nets import MLP, ModifiedMLP
from .training import StageLog, ZonePoints, adam_stage, lbfgs_stage


@dataclass
class FlameSetup:
    """Inlet and outlet states, domain and the fixed-temperature point of a free flame."""

    length: float
    pressure: float
    T_in: float
    Y_in: np.ndarray  # (K,)
    T_out: float  # burnt-side temperature (equilibrium or reference outlet) [K]
    Y_out: np.ndarray  # (K,)
    x_fixed: float
    T_fixed: float
    T_bounds: tuple[float, float] | None = None

    def bounds(self) -> tuple[float, float]:
        """Hard-constraint bounds; default (T_in − 1% ΔT, T_out + 2% ΔT).

        Raises:
            SpecError: bounds that exclude T_in, T_out or T_fixed.
        """
        dT = self.T_out - self.T_in
        lo, hi = self.T_bounds or (self.T_in - 0.01 * dT, self.T_out + 0.02 * dT)
        for name, T in (("T_in", self.T_in), ("T_out", self.T_out), ("T_fixed", self.T_fixed)):
            if not lo <= T <= hi:
                raise SpecError(f"bounds [{lo:g}, {hi:g}] K exclude {name} = {T:.6g} K",
                                key="temperature_bounds")
        return lo, hi


@dataclass
class Case2Budget:
    warmup: int = 2000
    adam: int = 5000
    lbfgs: int = 2000
    lr: float = 1e-3
    n_collocation: int = 200
    resample_every: int = 10
    width: int = 64
    depth: int = 4
    modified: bool = False
    seed: int = 0
    time_limit: float | None = None  # seconds for Adam + L-BFGS; Adam gets at most adam_share
    adam_share: float = 0.4
    weights: dict = field(default_factory=lambda: {"bc": 10.0, "fixed": 100.0})
    outlet: str = "equilibrium"  # or "zero-gradient"
    warmup_profile: str = "ramp"  # or "fixed-point" (module docstring)
    thickness: float | None = None  # flame thickness [m]; None: Blint's estimate
    zone_fraction: float = 0.0  # share of collocation points in [x_f − δ, x_f + 2δ]
    init_bias: bool = False
    scale_floor: float = 1e-3
    lr_s_L: float = 1.0  # multiplier of the Adam learning rate of s_L
    burnt_fraction: float = 0.0  # zero-gradient outlet: penalise T(L) < T_in + f (T_out − T_in)
    anchor: int = 0  # Adam steps with the warm-up misfit in the loss (full weight, then → 0)
    anchor_weights: tuple[float, float] = (1.0, 1.0)  # weights of its T and Y parts
    flux_scale: str = "trainable"  # residual divisor: m, "fixed"/"fixed-pde" m_ref, "min"
    lbfgs_redraw: bool = False  # redraw the random collocation points before every L-BFGS chunk


class FreeFlamePINN(torch.nn.Module):
    """Network, hard constraints and s_L (module docstring)."""

    def __init__(self, gas: TorchGas, setup: FlameSetup, budget: Case2Budget,
                 s_L_guess: float = 0.6):
        super().__init__()
        if budget.warmup_profile not in ("ramp", "fixed-point"):
            raise SpecError(f"unknown warm-up profile {budget.warmup_profile!r}; expected "
                            "'ramp' or 'fixed-point'", key="warmup_profile")
        self.gas, self.setup = gas, setup
        K = gas.n_species
        kw = dict(dtype=gas.dtype, device=gas.device)
        net = ModifiedMLP if budget.modified else MLP
        self.net = net(1, K + 1, budget.width, budget.depth, **kw)
        self.s_L = torch.nn.Parameter(torch.tensor(float(s_L_guess), **kw))
        self.lo, self.hi = setup.bounds()
        self.scale_x = 4.0 / setup.length
        self.scale_T = 5.0 / self.hi
        self.Y_in = torch.as_tensor(setup.Y_in, **kw).reshape(1, -1)
        self.Y_out = torch.as_tensor(setup.Y_out, **kw).reshape(1, -1)
        self.scale_Y = 5.0 / torch.maximum(self.Y_in, self.Y_out).clamp(min=budget.scale_floor)
        T_in = torch.tensor([[setup.T_in]], **kw)
        self.rho_in = float(gas.density(T_in, self.Y_in, setup.pressure))
        self.cp_in = float(gas.cp_mass(T_in, self.Y_in))
        self.thickness = budget.thickness or estimate_thickness(gas, setup, s_L_guess)
        if budget.flux_scale not in ("trainable", "fixed", "fixed-pde", "min"):
            raise SpecError(f"unknown flux scale {budget.flux_scale!r}; expected 'trainable', "
                            "'fixed', 'fixed-pde' or 'min'", key="flux_scale")
        self.flux_mode = budget.flux_scale
        self.m_ref = self.rho_in * float(s_L_guess)

    def init_output_bias(self, T: np.ndarray, Y: np.ndarray) -> None:
        """Output biases such that the network starts at the mean of the profile (T, Y)."""
        t = np.clip((np.mean(T) - self.lo) / (self.hi - self.lo), 1e-6, 1 - 1e-6)
        logits = np.log(np.maximum(np.mean(Y, axis=0), 1e-12))
        bias = torch.as_tensor(np.concatenate([[np.log(t / (1 - t))], logits]),
                               dtype=self.s_L.dtype, device=self.s_L.device)
        last = self.net.layers[-1] if hasattr(self.net, "layers") else self.net.output
        with torch.no_grad():
            last.bias.copy_(bias)

    def fields(self, x: torch.Tensor) -> tuple[Jet, Jet]:
        """T (N, 1) and Y (N, K) as jets in x [m]."""
        z = self.net(ops.variable(x, self.scale_x, -2.0))
        T = self.lo + (self.hi - self.lo) * z[:, :1].sigmoid()
        return T, z[:, 1:].softmax()

    def mass_flux(self):
        return self.rho_in * self.s_L

    def flux_scale(self, inlet: bool = False):
        """The mass flux the residuals (``inlet``: the inlet flux balance) are divided by."""
        if self.flux_mode == "fixed" or (self.flux_mode == "fixed-pde" and not inlet):
            return self.m_ref
        m = self.mass_flux()
        return m.clamp(max=self.m_ref) if self.flux_mode == "min" else m

    def scaled_residuals(self, e: torch.Tensor, s: torch.Tensor
                         ) -> tuple[torch.Tensor, torch.Tensor]:
        """Energy and species residuals made dimensionless (module docstring)."""
        m = self.flux_scale()
        return (e / (m * self.cp_in) * (self.scale_T / self.scale_x),
                s / m * (self.scale_Y / self.scale_x))


def estimate_thickness(gas: TorchGas, setup: FlameSetup, s_L_guess: float) -> float:
    """Blint's thermal thickness 2 α_in/s_L (T_out/T_in)^0.7, α_in = λ/(ρ c_p) at the inlet."""
    opts = dict(dtype=gas.dtype, device=gas.device)
    T = torch.tensor([[setup.T_in]], **opts)
    Y = torch.as_tensor(setup.Y_in, **opts).reshape(1, -1)
    alpha = float(gas.thermal_conductivity(T, Y) / (gas.density(T, Y, setup.pressure)
                                                     * gas.cp_mass(T, Y)))
    return 2.0 * alpha / s_L_guess * (setup.T_out / setup.T_in) ** 0.7


def _warmup_target(setup: FlameSetup, n: int = 501, profile: str = "ramp",
                   thickness: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The designed warm-up profile (module docstring) on n uniform points."""
    x = np.linspace(0.0, setup.length, n)
    if profile == "fixed-point":
        theta_f = (setup.T_fixed - setup.T_in) / (setup.T_out - setup.T_in)
        w = thickness / 4.0  # max slope of the logistic is 1/(4w)
        x0 = setup.x_fixed - w * np.log(theta_f / (1.0 - theta_f))
        ramp = (1.0 / (1.0 + np.exp(-(x - x0) / w)))[:, None]
    else:
        w = 0.1 * setup.length
        ramp = np.clip((x - setup.x_fixed + w) / (2 * w), 0.0, 1.0)[:, None]
    T = setup.T_in + (setup.T_out - setup.T_in) * ramp
    Y = setup.Y_in[None] + (setup.Y_out - setup.Y_in)[None] * ramp
    return x, T, Y


def solve_free_flame(gas: TorchGas, setup: FlameSetup, budget: Case2Budget | None = None,
                     s_L_guess: float = 0.6, log=None, target=None
                     ) -> tuple[FreeFlamePINN, list[StageLog]]:
    """Train the Case 2 PINN; returns the model and the stage logs.

    ``log`` (optional) receives a progress line (Adam iteration and s_L) every 500 Adam steps.
    ``target`` (x (n,), T (n,), Y (n, K)) replaces the designed warm-up profile: a diagnostic
    (started on a reference solution, the training shows whether that solution is a minimiser
    the optimiser stays at), not a forward solve.
    """
    budget = budget or Case2Budget()
    torch.manual_seed(budget.seed)
    kin = TorchKinetics(gas)
    model = FreeFlamePINN(gas, setup, budget, s_L_guess)
    opts = dict(dtype=gas.dtype, device=gas.device)
    p, L = setup.pressure, setup.length
    w = budget.weights
    if target is None:
        target = _warmup_target(setup, profile=budget.warmup_profile, thickness=model.thickness)
    if budget.init_bias:
        model.init_output_bias(target[1], target[2])
    xw, Tw, Yw = (torch.as_tensor(a, **opts) for a in target)
    xw = xw.reshape(-1, 1)
    Tw = Tw.reshape(-1, 1)

    def warm_loss():
        T, Y = model.fields(xw)
        loss = (((T.value - Tw) * model.scale_T) ** 2).mean() + (
            ((Y.value - Yw) * model.scale_Y) ** 2).mean()
        return loss, {}

    x_ends = torch.tensor([[0.0], [L], [setup.x_fixed]], **opts)
    zone = (max(setup.x_fixed - model.thickness, 0.0), min(setup.x_fixed + 2 * model.thickness, L))
    colloc = ZonePoints(L, zone, budget.n_collocation, budget.zone_fraction, **opts)
    points = {"x": colloc.grid()}
    last = {"loss": torch.tensor(float("nan")), "k": budget.anchor}
    T_burnt = setup.T_in + budget.burnt_fraction * (setup.T_out - setup.T_in)

    def pde_loss():
        m = model.mass_flux()
        T, Y = model.fields(points["x"])
        e, s = free_flame_residuals(gas, kin, T, Y, m, p)
        r_e, r_s = model.scaled_residuals(e, s)
        Te, Ye = model.fields(x_ends)
        j0 = gas.diffusive_fluxes(Te[:1], Ye[:1], p).value
        m_in = model.flux_scale(inlet=True)
        bc_in = (((Te.value[0] - setup.T_in) * model.scale_T) ** 2).sum() + (
            ((m * (Ye.value[:1] - model.Y_in) + j0) / m_in * model.scale_Y) ** 2).mean()
        if budget.outlet == "zero-gradient":
            burnt = ((T_burnt - Te.value[1]).clamp(min=0.0) * model.scale_T) ** 2
            bc_out = ((ops.d1(Te)[1] * model.scale_T / model.scale_x) ** 2).sum() + (
                (ops.d1(Ye)[1:2] * model.scale_Y / model.scale_x) ** 2).mean() + burnt.sum()
        else:
            bc_out = (((Te.value[1] - setup.T_out) * model.scale_T) ** 2).sum() + (
                ((Ye.value[1:2] - model.Y_out) * model.scale_Y) ** 2).mean()
        fixed = (((Te.value[2] - setup.T_fixed) * model.scale_T) ** 2).sum()
        loss = (r_e**2).mean() + (r_s**2).mean() + w["bc"] * (bc_in + bc_out) + w["fixed"] * fixed
        if last["k"] < budget.anchor:
            factor = min(1.0, 2.0 * (1.0 - last["k"] / budget.anchor))
            T, Y = model.fields(xw)
            misfit_T = (((T.value - Tw) * model.scale_T) ** 2).mean()
            misfit_Y = (((Y.value - Yw) * model.scale_Y) ** 2).mean()
            loss = loss + factor * (budget.anchor_weights[0] * misfit_T
                                    + budget.anchor_weights[1] * misfit_Y)
        last["loss"] = loss.detach()
        return loss, {}

    def resample(k: int) -> None:
        last["k"] = k
        if log is not None and k % 500 == 0:
            log(f"adam {k}: s_L = {float(model.s_L.detach()):.5f}, loss {float(last['loss']):.3e}")
        if k % budget.resample_every == 0:
            points["x"] = colloc.draw()

    def redraw(done: int) -> None:
        if log is not None and done % 500 == 0:
            log(f"lbfgs {done}: s_L = {float(model.s_L.detach()):.5f}, "
                f"loss {float(last['loss']):.3e}")
        if budget.lbfgs_redraw:
            points["x"] = colloc.draw()

    stages = [adam_stage("warm-up", list(model.net.parameters()), warm_loss, budget.warmup,
                         lr=budget.lr, decay=1.0)]
    start = time.perf_counter()
    limit = budget.time_limit
    stages.append(adam_stage("adam", list(model.parameters()), pde_loss, budget.adam,
                             lr=budget.lr, callback=resample,
                             lr_factors={id(model.s_L): budget.lr_s_L},
                             deadline=None if limit is None else start + budget.adam_share * limit))
    points["x"] = colloc.grid()
    last["k"] = budget.anchor
    if budget.lbfgs:
        stages.append(lbfgs_stage("lbfgs", list(model.parameters()), pde_loss, budget.lbfgs,
                                  chunk=50, deadline=None if limit is None else start + limit,
                                  callback=redraw))
    return model, stages
