"""Multi-domain PINNs (XPINN, cPINN): one network per subdomain, joined by interface terms.

The spec's ``[decomposition]`` cuts the domain (see :mod:`pinnlab.spec.decomposition`). Each
subdomain ``k`` has its own :class:`~pinnlab.nn.FieldNetwork` ``u_k`` whose inputs are scaled to
the subdomain's bounding box. The loss is (METALIC's weighting by default)

    L = w_b Σ_k L_conditions,k + w_r Σ_k L_residual,k + w_d Σ_k L_data,k
        + w_i Σ_j m_j Σ_faces L_interface,j

with ``m ∈ {0, 1}⁹`` the interface mask (:data:`~pinnlab.spec.decomposition.INTERFACE_TERMS`).
The Adam and L-BFGS phases may use different masks (the two-stage bandit's choice). Conditions
are soft (each subdomain is penalised on its part of the boundary); prediction routes each point
to the subdomain that contains it.
"""

from __future__ import annotations

import time
from typing import Annotated

import torch
from pydantic import Field

from ..errors import SpecError
from ..jet import Jet, JetBasis
from ..losses import Term, _data_term, compile_terms
from ..nn import FieldNetwork
from ..options import Budget, Every, Network, NonNegative, Points, Steps
from ..params import ParameterSet
from ..result import Result
from ..spec.decomposition import (
    INTERFACE_TERMS,
    Box,
    bounding_box,
    mask_string,
    parse_interface_conditions,
)
from ..spec.problem import Problem
from ..train import LossWeights, RunContext, Trainer, run_metrics
from . import warmup
from .interfaces import InterfaceTerms, active_terms
from .pinn import _default_dtype, output_bounds
from .warmup import WarmupFit, WarmupOptions


class MultiDomainConfig(Budget, Network, WarmupOptions):
    """Multi-domain PINN (XPINN, cPINN): one network per subdomain of the spec's
    ``[decomposition]``, joined by the chosen interface terms (METALIC's set-up by default: 2
    hidden layers of 20, 1000 residual and 100 condition points per subdomain, weights
    20/1/5)."""

    width: Annotated[int, Field(ge=1, le=4096)] = 20
    """hidden units per layer of each subdomain's network."""
    depth: Annotated[int, Field(ge=1, le=64)] = 2
    """hidden layers of each subdomain's network."""
    residual_points: Points = 1000
    """residual points per subdomain."""
    boundary_points: Points = 100
    """points per condition and subdomain."""
    interface_points: Points = 100
    """points per interface."""
    resample_every: Every = 0
    """Adam steps between new points (0: never)."""
    adam_steps: Steps = 1000
    """Adam steps (0 skips Adam)."""
    lr_decay: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 1.0
    """the learning rate is multiplied by this every ``decay_every`` steps."""
    lbfgs_steps: Steps = 1000
    """L-BFGS iterations after Adam (0 skips L-BFGS)."""
    boundary_weight: NonNegative = 20.0
    """weight of the condition terms."""
    residual_weight: NonNegative = 1.0
    """weight of the residual terms."""
    interface_weight: NonNegative = 5.0
    """weight of the active interface terms."""
    data_weight: NonNegative = 1.0
    """weight of the data terms."""
    interface_conditions: str | list[str] = ""
    """interface terms during Adam: a preset, term names or a 9-bit mask (default: the spec's)."""
    interface_conditions_lbfgs: str | list[str] = ""
    """interface terms during L-BFGS (default: those of Adam)."""

    def phases(self) -> list:
        """The warm-up fit (``warmup_steps`` > 0), then Adam and L-BFGS."""
        return self.with_warmup(super().phases())

    def masks(self, problem: Problem) -> dict[str, tuple[int, ...]]:
        """The interface masks of the Adam and L-BFGS phases."""
        default = problem.decomposition.interface_conditions
        key = "training.interface_conditions"
        adam = parse_interface_conditions(self.interface_conditions or default,
                                          source=problem.source, key=key)
        lbfgs = (parse_interface_conditions(self.interface_conditions_lbfgs,
                                            source=problem.source, key=key + "_lbfgs")
                 if self.interface_conditions_lbfgs not in ("", None) else adam)
        return {"adam": adam, "lbfgs": lbfgs}


class MultiDomainModel(torch.nn.Module):
    """One field network per subdomain plus the problem's parameters."""

    def __init__(self, problem: Problem, cfg: MultiDomainConfig, generator: torch.Generator):
        super().__init__()
        if problem.decomposition is None:
            raise SpecError("the multi-domain method needs a [decomposition] table",
                            file=problem.source, key="decomposition")
        self.problem = problem
        self.subdomains, self.interfaces = problem.decomposition.geometry(
            problem.domain, source=problem.source)
        self.nets = torch.nn.ModuleList(
            FieldNetwork(bounding_box(sub), problem.fields, width=cfg.width, depth=cfg.depth,
                         activation=cfg.activation, input_range=tuple(cfg.input_range),
                         bounds=output_bounds(problem), simplex=list(problem.simplex.values()),
                         factorized=cfg.weight_factorization,
                         architecture=cfg.architecture, generator=generator)
            for sub in self.subdomains)
        self.params = ParameterSet(problem.parameters)
        boxes = [(k, b) for k, sub in enumerate(self.subdomains) for b in sub]
        self.register_buffer("box_owner", torch.tensor([k for k, _ in boxes]))
        self.register_buffer("box_lo", torch.tensor([[b[c][0] for c in problem.coords]
                                                     for _, b in boxes]))
        self.register_buffer("box_hi", torch.tensor([[b[c][1] for c in problem.coords]
                                                     for _, b in boxes]))

    def jet(self, k: int, points: torch.Tensor, basis: JetBasis) -> Jet:
        """Fields of subdomain ``k``'s network and the derivatives in ``basis`` at ``points``."""
        return self.nets[k].jet(basis.seed(points))

    def owner(self, points: torch.Tensor) -> torch.Tensor:
        """``(N,)`` subdomain index of each point: the box nearest to it (0 inside), the first
        one on a shared face."""
        gap = torch.maximum(self.box_lo[None] - points[:, None],
                            points[:, None] - self.box_hi[None])
        dist = gap.clamp_min(0).amax(-1)
        return self.box_owner[dist.argmin(1)]

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        """``(N, F)`` fields at ``(N, d)`` points, each from its own subdomain's network."""
        own = self.owner(points)
        out = points.new_zeros(points.shape[0], len(self.problem.fields))
        for k, net in enumerate(self.nets):
            sel = own == k
            if sel.any():
                out[sel] = net(points[sel])
        return out


class MultiDomainLoss:
    """Named losses per subdomain and the masked interface terms."""

    def __init__(self, problem: Problem, model: MultiDomainModel, cfg: MultiDomainConfig,
                 weights: LossWeights | None, generator: torch.Generator):
        self.problem, self.model, self.cfg, self.gen = problem, model, cfg, generator
        p = next(model.parameters())
        dtype, device = p.dtype, p.device
        self.terms: list[Term] = []
        self.owners: list[int] = []  # the subdomain (network) of each term
        for k, boxes in enumerate(model.subdomains):
            for term in _subdomain_terms(problem, boxes, cfg, dtype, device):
                term.name = f"{term.name}[{k}]"
                self.terms.append(term)
                self.owners.append(k)
        if problem.observations is not None and len(problem.observations):
            obs = problem.observations
            pts = torch.stack([torch.as_tensor(obs.coords[c], dtype=dtype)
                               for c in problem.coords], 1)
            own = model.owner(pts.to(device)).cpu()
            seen = torch.as_tensor(obs.measured())
            for k in range(len(model.subdomains)):
                rows = torch.nonzero((own == k) & seen).flatten()  # rows with a measured value
                if len(rows):
                    t = _data_term(problem, dtype, device, rows, name=f"data[{k}]")
                    t.basis = JetBasis(len(problem.coords), t.indices)
                    self.terms.append(t)
                    self.owners.append(k)
        self.faces = [InterfaceTerms(problem, f, cfg.interface_points, dtype=dtype,
                                     device=device) for f in model.interfaces]
        self.masks = cfg.masks(problem)
        self.phase = "adam"
        self.active = active_terms(self.masks["adam"])
        kind_weight = {"residual": cfg.residual_weight, "initial": cfg.boundary_weight,
                       "boundary": cfg.boundary_weight, "periodic": cfg.boundary_weight,
                       "data": cfg.data_weight}
        self.weights = weights or LossWeights([])
        for t in self.terms:
            self.weights.values[t.name] = kind_weight[t.kind]
        self._set_interface_weights()
        self.bases = self._bases()
        self.resample()

    def _set_interface_weights(self) -> None:
        for name in INTERFACE_TERMS:
            self.weights.values[f"interface.{name}"] = (
                self.cfg.interface_weight if name in self.active else 0.0)

    def resample(self) -> None:
        self._plan = None
        for t in self.terms:
            t.points = t.fixed if t.sample is None else t.sample(t.n_points, self.gen)
        for f in self.faces:
            f.points = f.sample(f.n_points, self.gen)

    def on_step(self, step: int, kind: str = "adam") -> bool:
        """Switch the interface mask when the phase changes; resample during Adam."""
        if kind != self.phase:
            self.phase, self.active = kind, active_terms(self.masks[kind])
            self._set_interface_weights()
            return True
        every = self.cfg.resample_every
        if kind == "adam" and every and step and step % every == 0:
            self.resample()
            return True
        return False

    def state_dict(self) -> dict:
        return {"terms": {t.name: t.points for t in self.terms},
                "faces": [f.points for f in self.faces], "phase": self.phase}

    def load_state_dict(self, state: dict) -> None:
        self._plan = None
        for t in self.terms:
            t.points = state["terms"][t.name]
        for f, x in zip(self.faces, state["faces"]):
            f.points = x
        self.phase = state["phase"]
        self.active = active_terms(self.masks[self.phase])
        self._set_interface_weights()

    def _bases(self) -> dict[int, JetBasis]:
        """Per network, one basis covering every term it takes part in (for the masks of both
        phases), so each network runs one jet pass per evaluation."""
        d = len(self.problem.coords)
        need: dict[int, set] = {k: set() for k in range(len(self.model.nets))}
        for t, k in zip(self.terms, self.owners):
            need[k] |= set(t.indices)
        both = active_terms(self.masks["adam"]) | active_terms(self.masks["lbfgs"])
        for f in self.faces:
            idx = f.indices(both)
            need[f.face.a] |= idx
            need[f.face.b] |= idx
        return {k: JetBasis(d, sorted(v)) for k, v in need.items()}

    def _batch_plan(self, grad: bool) -> tuple[list, list]:
        """:meth:`_passes` of the current points, made once per point set (not per step).
        Interface points are leaves requiring grad when the residual's gradient is taken
        w.r.t. them (reverse mode would otherwise run through the whole batch)."""
        if self._plan is not None and self._plan[0] == grad:
            return self._plan[1], self._plan[2]
        face_x = [f.points.detach().requires_grad_(True) if grad else f.points
                  for f in self.faces]
        passes = self._passes([t.points for t in self.terms], face_x, grad)
        self._plan = (grad, passes, face_x)
        return passes, face_x

    def _passes(self, term_x: list[torch.Tensor], face_x: list[torch.Tensor],
                grad: bool) -> list:
        """The points of each jet pass, ``[(network, points, [(key, start, n)])]``: every
        term of a network in one pass; the interface points in a pass of their own when
        ``grad``."""
        chunks: dict[tuple, list] = {}
        for i, (x, k) in enumerate(zip(term_x, self.owners, strict=True)):
            chunks.setdefault((k, False), []).append((("term", i), x))
        for i, f in enumerate(self.faces):
            chunks.setdefault((f.face.a, grad), []).append((("face", i, 0), face_x[i]))
            chunks.setdefault((f.face.b, grad), []).append((("face", i, 1), face_x[i]))
        passes = []
        for (k, _), items in chunks.items():
            slices, start = [], 0
            for key, x in items:
                slices.append((key, start, x.shape[0]))
                start += x.shape[0]
            passes.append((k, torch.cat([x for _, x in items]), slices))
        return passes

    def point_groups(self) -> list[torch.Tensor]:
        """The points of every term, then of every interface (what :meth:`_compute` takes)."""
        return [t.points for t in self.terms] + [f.points for f in self.faces]

    def batch_blockers(self) -> list[str]:
        """Terms a batched (``vmap``) evaluation cannot take: the gradient-enhanced interface
        residual differentiates w.r.t. the interface points by reverse mode."""
        both = active_terms(self.masks["adam"]) | active_terms(self.masks["lbfgs"])
        return ["gradient_residual"] if "gradient_residual" in both else []

    def __call__(self) -> dict[str, torch.Tensor]:
        """``{name: mean square}``: every term of each network from one batched jet pass."""
        passes, face_x = self._batch_plan("gradient_residual" in self.active)
        return self._evaluate([t.points for t in self.terms], passes, face_x)

    def _compute(self, points: list[torch.Tensor]) -> dict[str, torch.Tensor]:
        """The same at explicit points, ordered as :meth:`point_groups` (what the batched
        trainer maps over instances; no gradient-enhanced interface term)."""
        n = len(self.terms)
        term_x, face_x = points[:n], points[n:]
        return self._evaluate(term_x, self._passes(term_x, face_x, False), face_x)

    def _evaluate(self, term_x: list[torch.Tensor], passes: list,
                  face_x: list[torch.Tensor]) -> dict[str, torch.Tensor]:
        params = self.model.params.values()
        jets = {}
        for k, points, slices in passes:
            big = self.model.jet(k, points, self.bases[k])
            for key, a, n in slices:
                jets[key] = Jet([p[a:a + n] for p in big.parts], big.basis)
        out: dict[str, torch.Tensor] = {}
        for i, (t, x) in enumerate(zip(self.terms, term_x, strict=True)):
            out[t.name] = (t.residual(x, jets[("term", i)], params) ** 2).mean()
        for i, f in enumerate(self.faces):
            losses = f.losses(face_x[i], jets[("face", i, 0)], jets[("face", i, 1)], params,
                              self.active)
            for name, v in losses.items():
                key = f"interface.{name}"
                out[key] = out[key] + v if key in out else v
        return out


def _subdomain_terms(problem: Problem, boxes: list[Box], cfg: MultiDomainConfig, dtype,
                     device) -> list[Term]:
    """Residual terms on the subdomain and condition terms on its part of the boundary."""
    n = {"residual": cfg.residual_points, "boundary": cfg.boundary_points,
         "initial": cfg.boundary_points}
    return compile_terms(problem, n, dtype=dtype, device=device, region=boxes, data=False)


def build_model(problem: Problem, cfg: MultiDomainConfig,
                generator: torch.Generator) -> MultiDomainModel:
    """A fresh, untrained model (the run directory's reload fills in its weights)."""
    return MultiDomainModel(problem, cfg, generator)


def build_multidomain(problem: Problem, cfg: MultiDomainConfig, ctx: RunContext,
                      state: dict | None = None
                      ) -> tuple[MultiDomainModel, MultiDomainLoss, Trainer]:
    """The model (initialised from ``ctx.seed``, or from ``state``, a model ``state_dict`` of
    an earlier stage), its loss and the trainer that will train them, not yet run."""
    dtype = getattr(torch, cfg.dtype)
    gen = torch.Generator().manual_seed(ctx.seed)
    with _default_dtype(dtype):
        model = build_model(problem, cfg, gen).to(device=ctx.device, dtype=dtype)
        if state is not None:
            model.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()})
        weights = LossWeights([])
        loss = MultiDomainLoss(problem, model, cfg, weights, gen)
        objectives = ({"warmup": WarmupFit(problem, model, cfg.warmup_target, dtype=dtype,
                                           device=ctx.device)} if cfg.warmup_steps else {})
    trainer = Trainer(model, loss, cfg.phases(), weights=weights, on_step=loss.on_step,
                      objectives=objectives, param_sets={"network": list(model.nets.parameters())},
                      monitor=model.params.estimates, out=ctx.out,
                      checkpoint_every=cfg.checkpoint_every, progress=ctx.progress,
                      generators=[gen], stateful={"points": loss}, time_limit=cfg.time_limit,
                      time_clock=cfg.time_clock, identity=ctx.identity, source=problem.source,
                      on_row=ctx.on_row)
    return model, loss, trainer


def train_multidomain(problem: Problem, cfg: MultiDomainConfig, ctx: RunContext,
                      state: dict | None = None) -> tuple[MultiDomainModel, Trainer]:
    """Build (:func:`build_multidomain`) and train a multi-domain PINN."""
    model, _, trainer = build_multidomain(problem, cfg, ctx, state)
    trainer.run(resume=ctx.resume)
    return model, trainer


options = MultiDomainConfig


def condition_status(problem: Problem, cfg: MultiDomainConfig) -> dict[str, tuple[str, str]]:
    """Every condition is a penalty term of the subdomain it touches."""
    why = "the multi-domain methods impose every condition as a penalty term"
    return {k: ("soft", why) for k in problem.conditions}


def check(problem: Problem, cfg: MultiDomainConfig) -> None:
    """A ``[decomposition]`` table is needed; the interface masks must parse; each
    subdomain's terms must be buildable (a periodic pair inside one subdomain)."""
    if problem.decomposition is None:
        raise SpecError("the multi-domain methods need a [decomposition] table",
                        file=problem.source, key="decomposition")
    cfg.masks(problem)
    if cfg.warmup_steps:
        warmup.check(problem, cfg.warmup_target)
    subdomains, _ = problem.decomposition.geometry(problem.domain, source=problem.source)
    for boxes in subdomains:
        _subdomain_terms(problem, boxes, cfg, None, None)


def run(problem: Problem, cfg: MultiDomainConfig, ctx: RunContext,
        state: dict | None = None) -> Result:
    """Train and wrap the outcome in a :class:`~pinnlab.result.Result`."""
    cpu0 = time.process_time()
    model, trainer = train_multidomain(problem, cfg, ctx, state)
    return result(problem, cfg, ctx, model, trainer, time.process_time() - cpu0)


def result(problem: Problem, cfg: MultiDomainConfig, ctx: RunContext, model: MultiDomainModel,
           trainer: Trainer, cpu_s: float) -> Result:
    """A trained model and its trainer as a :class:`~pinnlab.result.Result`."""
    model.eval()
    masks = cfg.masks(problem)
    metrics = {
        **run_metrics(trainer, ctx, cfg),
        "cpu_s": cpu_s,
        "params": model.params.estimates(),
        "interface_conditions": {k: mask_string(v) for k, v in masks.items()},
        "subdomains": len(model.subdomains),
        "points": {t.name: int(t.points.shape[0]) for t in trainer.losses.terms},
    }
    return Result(problem, ctx.method, model, metrics, trainer.state.history,
                  dtype=getattr(torch, cfg.dtype), device=ctx.device, module=model)
