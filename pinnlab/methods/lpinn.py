"""Lagrangian PINNs (Mojgani, Balajewicz, Hassanzadeh 2023) for ``u_t + a(u) u_x = ν u_xx``.

Two networks on the label ``X`` (position at ``t = 0``) and time, both with the exact periodic
embedding ``(cos ωX, sin ωX)`` of :class:`~pinnlab.nn.FieldNetwork`:

* the state on characteristics ``u(X, t) = u0(X) + τ N_u(X, t)``, ``τ = (t − t0)/(T − t0)``
  (the initial condition built in, as the PINN's hard constraint);
* the characteristic curves ``x(X, t) = X + (t − t0) [a0(X) + s N_x(X, t)]`` with
  ``a0(X) = a(u0(X), X, t0)`` the velocity each curve starts with (``ballistic = true``; else
  ``a0 = 0`` and ``s`` the largest initial speed). ``x − X`` is periodic in ``X``, so the map is
  a circle map of degree one and ``x(X, 0) = X`` holds exactly.

The loss is ``w_x mean(R_x²)/s² + w_u mean(R_u²)`` over points resampled in ``(X, t)``
(residuals in :mod:`pinnlab.methods.lagrangian`; by default the viscous state residual is
multiplied by ``x_X³`` (``jacobian_power``), which removes the division by the Jacobian that
makes the plain form stiff where characteristics converge into a shock); Adam then L-BFGS as
for the PINN. The last layer of ``N_x`` starts at zero, so training starts from straight
characteristics. The result's
``fn`` maps Eulerian points to ``u`` by inverting the characteristic map (Newton), so
``predict``/``evaluate``/plots work as for every method.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch

from ..jet import Jet, JetBasis
from ..losses import BoxSampler
from ..nn import FieldNetwork
from ..result import Result
from ..spec.problem import Problem
from ..train import LossWeights, Trainer
from .constraints import hard_constraints
from .lagrangian import Transport, eulerian, lagrangian_residuals, read_transport
from .pinn import PINNConfig, _default_dtype


@dataclass
class LPINNConfig:
    """Options of the LPINN method (``[training]`` in a spec, ``solve(..., method="lpinn",
    **options)`` or ``--option KEY=VALUE``)."""

    width: int = 50
    depth: int = 4
    width_x: int = 32
    depth_x: int = 2
    activation: str = "tanh"
    harmonics: int = 1
    ballistic: bool = True
    jacobian_power: int = 3
    velocity: str = ""
    residual_points: int = 2048
    resample_every: int = 500
    adam_steps: int = 2000
    lr: float = 2e-3
    lr_decay: float = 0.8
    decay_every: int = 500
    lbfgs_steps: int = 500
    lbfgs_history: int = 50
    weights: dict = field(default_factory=dict)
    dtype: str = "float64"
    time_limit: float = 0.0
    checkpoint_every: int = 1000

    from_options = classmethod(PINNConfig.from_options.__func__)
    phases = PINNConfig.phases


class LPINNModel(torch.nn.Module):
    """The two branches; :meth:`lagrangian_jet` gives ``u(X, t)`` and ``x(X, t)`` as jets."""

    def __init__(self, problem: Problem, tr: Transport, cfg: LPINNConfig,
                 generator: torch.Generator):
        super().__init__()
        self.problem, self.tr = problem, tr
        self.ix, self.it = problem.coords.index(tr.space), problem.coords.index(tr.time)
        t0, t1 = problem.domain[tr.time]
        self.t0, self.duration = t0, t1 - t0
        common = dict(activation=cfg.activation, periodic=[tr.space],
                      harmonics=cfg.harmonics, generator=generator)
        self.u_net = FieldNetwork(problem.domain, [tr.field], width=cfg.width, depth=cfg.depth,
                                  **common)
        self.x_net = FieldNetwork(problem.domain, ["x"], width=cfg.width_x, depth=cfg.depth_x,
                                  **common)
        with torch.no_grad():  # start from x = X + t a0(X): no curve bends at first
            self.x_net.layers[-1].weight.zero_()
        self.initial = hard_constraints(problem)[tr.field]
        self.ballistic = cfg.ballistic
        self.speed = 1.0 if cfg.ballistic else self._initial_speed()

    def _initial_speed(self) -> float:
        """``max |a(u0(X), X, t0)|`` on 512 labels (at least 1): the scale of ``∂_t x``."""
        pts = torch.zeros(512, 2, dtype=torch.float64)
        a, b = self.tr.period
        pts[:, self.ix] = torch.linspace(a, b, 512, dtype=torch.float64)
        pts[:, self.it] = self.t0
        with torch.no_grad():
            u0 = self._u0(JetBasis(2, []).seed(pts)).value[:, 0]
            a0 = self.tr.velocity(u0, pts[:, self.ix], pts[:, self.it])
        return max(float(a0.abs().max()), 1.0)

    def _u0(self, lab: Jet) -> Jet:
        return self.initial.parts(lab, self.tr.params)[0]

    def state_jet(self, lab: Jet) -> Jet:
        """``u(X, t) = u0(X) + τ N_u(X, t)`` from the seeded labels ``lab``."""
        return self.initial.apply(lab, self.u_net.jet(lab), self.tr.params)

    def curve_jet(self, lab: Jet) -> Jet:
        """``x(X, t) = X + (t − t0) [a0(X) + s N_x(X, t)]`` from the seeded labels ``lab``."""
        X, t = lab.channel(self.ix), lab.channel(self.it)
        slope = self.x_net.jet(lab) * self.speed
        if self.ballistic:  # a(u0(X), X, t0) in jet arithmetic: its X-derivatives enter x_X
            slope = slope + self.tr.velocity(self._u0(lab), X, self.t0)
        return X + (t - self.t0) * slope

    def lagrangian_jet(self, labels: torch.Tensor, basis: JetBasis) -> tuple[Jet, Jet]:
        """``(u, x)`` jets (one channel each) at labels ``(N, 2)`` (``X`` in the space column)."""
        lab = basis.seed(labels)
        return self.state_jet(lab), self.curve_jet(lab)

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        """Eulerian ``u`` at points ``(N, 2)``: ``(N, 1)``."""
        def curve(labels, basis):
            return self.curve_jet(basis.seed(labels))

        def state(labels):
            return self.state_jet(JetBasis(2, []).seed(labels)).value

        return eulerian(curve, state, points, self.ix, self.tr.period)[0]


class LPINNLoss:
    """``{characteristics: mean R_x²/s², state: mean R_u²}`` on resampled label points."""

    def __init__(self, model: LPINNModel, cfg: LPINNConfig, generator: torch.Generator):
        self.model, self.cfg, self.gen = model, cfg, generator
        p = next(model.parameters())
        self.sampler = BoxSampler(model.problem.domain, dtype=p.dtype, device=p.device)
        ix = model.ix
        self.basis = JetBasis(2, [(ix,), (ix, ix), (model.it,)] if model.tr.nu else
                              [(model.it,)])
        self.points = None
        self.resample()

    def resample(self) -> None:
        self.points = self.sampler(self.cfg.residual_points, self.gen)

    def on_step(self, step: int, kind: str = "adam") -> bool:
        every = self.cfg.resample_every
        if kind == "adam" and every and step > 0 and step % every == 0:
            self.resample()
            return True
        return False

    def state_dict(self) -> dict:
        return {"points": self.points}

    def load_state_dict(self, state: dict) -> None:
        self.points = state["points"]

    def __call__(self) -> dict[str, torch.Tensor]:
        m = self.model
        u, xl = m.lagrangian_jet(self.points, self.basis)
        r_x, r_u = lagrangian_residuals(m.tr, self.points, u, xl, m.ix, m.it,
                                        self.cfg.jacobian_power)
        return {"characteristics": (r_x**2).mean() / m.speed**2, "state": (r_u**2).mean()}


def run_lpinn(problem: Problem, options: dict, *, seed: int = 0, device: str = "cpu",
              out: str | None = None, resume: bool = False, progress: bool = True) -> Result:
    """Train LPINN on ``problem`` (see the module docstring) and return a :class:`Result`."""
    cfg = LPINNConfig.from_options({**problem.training, **options}, source=problem.source)
    tr = read_transport(problem, cfg.velocity or None)
    dtype = getattr(torch, cfg.dtype)
    gen = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    with _default_dtype(dtype):
        model = LPINNModel(problem, tr, cfg, gen).to(device=device, dtype=dtype)
        loss = LPINNLoss(model, cfg, gen)
    weights = LossWeights(["characteristics", "state"], cfg.weights)
    trainer = Trainer(model, loss, cfg.phases(), weights=weights, on_step=loss.on_step, out=out,
                      checkpoint_every=cfg.checkpoint_every, progress=progress,
                      generators=[gen], stateful={"points": loss}, time_limit=cfg.time_limit)
    trainer.run(resume=resume)
    model.eval()
    metrics = {
        "method": "lpinn", "device": str(device), "dtype": cfg.dtype, "seed": seed,
        "steps": trainer.state.step,
        "wall_s": trainer.state.wall_s if resume else time.perf_counter() - start,
        "params": {}, "viscosity": tr.nu, "optimizer_stops": trainer.state.stops,
        "loss_final": trainer.state.history[-1]["loss"] if trainer.state.history else None,
        "points": {"residual": cfg.residual_points}, "config": dict(cfg.__dict__),
    }
    return Result(problem, "lpinn", model, metrics, trainer.state.history, dtype=dtype,
                  device=device, module=model)
