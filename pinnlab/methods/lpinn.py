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

from typing import Annotated

import torch
from pydantic import Field

from ..errors import SpecError
from ..jet import Jet, JetBasis
from ..nn import FieldNetwork
from ..options import Budget, Count, Every, Network, NonNegative, Points, Positive, Steps
from ..result import Result
from ..sampling import BoxSampler
from ..spec.problem import Problem
from ..train import LossWeights, RunContext, Trainer, run_metrics
from . import exactness
from .constraints import hard_constraints
from .lagrangian import Transport, eulerian, lagrangian_residuals, read_transport
from .pinn import _default_dtype


class LPINNConfig(Budget, Network):
    """Lagrangian PINN for one-dimensional transport u_t + a(u) u_x = nu u_xx (periodic):
    one network for the state on the characteristics, one for the characteristics."""

    width: Annotated[int, Field(ge=1, le=4096)] = 50
    """hidden units per layer of the state network."""
    width_x: Annotated[int, Field(ge=1, le=4096)] = 32
    """hidden units per layer of the characteristics network."""
    depth_x: Annotated[int, Field(ge=1, le=64)] = 2
    """hidden layers of the characteristics network."""
    harmonics: Annotated[int, Field(ge=1, le=64)] = 1
    """harmonics of the periodic embedding of the label X."""
    ballistic: bool = True
    """characteristics start at the initial velocity (else at rest)."""
    jacobian_power: Annotated[int, Field(ge=0, le=8)] = 3
    """the viscous state residual is multiplied by x_X to this power."""
    velocity: str = ""
    """the velocity a(u) stated as an expression (checked against the equation)."""
    residual_points: Points = 2048
    """points of the residuals."""
    resample_every: Every = 500
    """Adam steps between new points (0: never)."""
    adam_steps: Steps = 2000
    """Adam steps (0 skips Adam)."""
    lr: Positive = 2e-3
    """Adam's learning rate."""
    lr_decay: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.8
    """the learning rate is multiplied by this every ``decay_every`` steps."""
    decay_every: Count = 500
    """steps per learning-rate decay."""
    lbfgs_steps: Steps = 500
    """L-BFGS iterations after Adam (0 skips L-BFGS)."""
    weights: dict[str, NonNegative] = Field(default_factory=dict)
    """weights of the two terms, ``characteristics`` and ``state``."""


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
                      harmonics=cfg.harmonics, factorized=cfg.weight_factorization,
                      architecture=cfg.architecture,
                      generator=generator)
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

    def characteristics(self, labels: torch.Tensor) -> torch.Tensor:
        """``x(X, t)`` (N,): where the characteristic that starts at ``X`` is at time ``t``,
        for labels ``(N, 2)`` in the problem's coordinate order (``X`` in the space column),
        unwrapped (not reduced to the period)."""
        return self.curve_jet(JetBasis(2, []).seed(labels)).value[:, 0]

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


options = LPINNConfig


def check(problem: Problem, cfg: LPINNConfig) -> None:
    """The problem must be a 1-D transport equation LPINN can follow (see
    :func:`~pinnlab.methods.lagrangian.read_transport`); weights name its two terms."""
    read_transport(problem, cfg.velocity or None)
    for name in cfg.weights:
        if name not in ("characteristics", "state"):
            raise SpecError(f"{name!r} is not a term of LPINN (known: characteristics, state)",
                            file=problem.source, key=f"training.weights.{name}")


def condition_status(problem: Problem, cfg: LPINNConfig) -> dict[str, tuple[str, str]]:
    """Every condition is exact: :func:`check` admits only initial data (built into the
    ansatz) and periodic pairs (the embedding)."""
    return {k: ("exact", exactness.EXACT_PERIODIC if c.kind == "periodic"
                else exactness.EXACT_ANSATZ) for k, c in problem.conditions.items()}


def build_model(problem: Problem, cfg: LPINNConfig, generator: torch.Generator) -> LPINNModel:
    """A fresh, untrained model (the run directory's reload fills in its weights)."""
    return LPINNModel(problem, read_transport(problem, cfg.velocity or None), cfg, generator)


def run(problem: Problem, cfg: LPINNConfig, ctx: RunContext) -> Result:
    """Train LPINN on ``problem`` (see the module docstring) and return a :class:`Result`."""
    dtype = getattr(torch, cfg.dtype)
    gen = torch.Generator().manual_seed(ctx.seed)
    with _default_dtype(dtype):
        model = build_model(problem, cfg, gen).to(device=ctx.device, dtype=dtype)
        loss = LPINNLoss(model, cfg, gen)
    tr = model.tr
    weights = LossWeights(["characteristics", "state"], cfg.weights)
    trainer = Trainer(model, loss, cfg.phases(), weights=weights, on_step=loss.on_step,
                      out=ctx.out, checkpoint_every=cfg.checkpoint_every,
                      progress=ctx.progress, generators=[gen], stateful={"points": loss},
                      time_limit=cfg.time_limit, time_clock=cfg.time_clock,
                      identity=ctx.identity, source=problem.source, on_row=ctx.on_row)
    trainer.run(resume=ctx.resume)
    model.eval()
    metrics = {**run_metrics(trainer, ctx, cfg), "params": {}, "viscosity": tr.nu,
               "points": {"residual": cfg.residual_points}}
    return Result(problem, ctx.method, model, metrics, trainer.state.history, dtype=dtype,
                  device=ctx.device, module=model)
