"""The PINN method: one :class:`~pinnlab.nn.FieldNetwork`, hard constraints where the spec allows,
named residual terms, causal weighting, gradient-norm weights, resampling, Adam then L-BFGS."""

from __future__ import annotations

import math
import sys
import warnings
from functools import partial
from typing import Annotated, Literal

import torch
from pydantic import Field

from ..errors import SpecError
from ..jet import Jet, JetBasis
from ..losses import Term, compile_terms, release_environment
from ..nn import FieldNetwork
from ..options import Budget, Count, Every, Network, NonNegative, Points, Positive
from ..params import ParameterSet
from ..spec.problem import Problem
from ..train import LossWeights, Phase, RunContext, Trainer
from .causal import CausalWeights
from .constraints import HardConstraint, hard_constraints
from .warmup import WarmupFit, WarmupOptions


class PINNConfig(Budget, Network, WarmupOptions):
    """The physics-informed neural network: one network for all fields, initial and
    Dirichlet data imposed exactly where the spec allows, an optional warm-up fit, Adam then
    L-BFGS."""

    fourier: Annotated[int, Field(ge=0, le=4096)] = 0
    """random Fourier features of the non-periodic coordinates (0: none)."""
    fourier_sigma: Positive = 1.0
    """standard deviation of the Fourier frequencies."""
    harmonics: Annotated[int, Field(ge=1, le=64)] = 1
    """harmonics of the exact periodic embedding of periodic coordinates."""
    hard_constraints: bool = True
    """impose initial and Dirichlet data exactly where the spec allows (else soft terms)."""
    periodic_embedding: bool = True
    """make periodic coordinates exactly periodic (else soft periodic terms)."""
    residual_points: Points = 8192
    """points of each equation's residual."""
    boundary_points: Points = 512
    """points of each boundary condition."""
    initial_points: Points = 512
    """points of each initial condition."""
    resample_every: Every = 1000
    """Adam steps between new residual points (0: never)."""
    resample: Literal["uniform", "rad"] = "uniform"
    """how new residual points are drawn: uniformly, or by the residual (RAD)."""
    rad_k: NonNegative = 1.0
    """RAD: the residual's exponent."""
    rad_c: NonNegative = 1.0
    """RAD: the uniform part of the density."""
    lbfgs_resample_every: Every = 0
    """L-BFGS iterations between new points (0: never)."""
    adaptive_weights: bool = False
    """balance the terms' weights by their gradient norms."""
    weight_every: Count = 500
    """steps between weight updates."""
    weights: dict[str, NonNegative] = Field(default_factory=dict)
    """fixed weights by term name (``equations.burgers``, ``conditions.inlet``, ``data``)."""
    causal: bool = False
    """causal weighting of the residual along time."""
    causal_chunks: Annotated[int, Field(ge=1, le=4096)] = 32
    """time chunks of the causal weights."""
    causal_eps: NonNegative = 1.0
    """causality parameter: larger waits longer for earlier times."""
    causal_scale: Literal["initial", "none"] = "initial"
    """losses measured in units of the initial residual, or raw."""
    sampling: Literal["sobol", "grid"] = "sobol"
    """residual points: scrambled Sobol (redrawn) or a fixed uniform grid."""
    restore_best: bool = False
    """end each phase at its lowest loss."""
    output_scale: dict[str, Annotated[float, Field(allow_inf_nan=False)]] = Field(
        default_factory=dict)
    """per-field factor of the network's output."""
    compile: bool = False
    """``torch.compile`` the loss (faster steps after a one-off compilation)."""
    compile_mode: Literal["default", "reduce-overhead", "max-autotune"] = "default"
    """torch.compile's mode when ``compile`` is on: ``reduce-overhead`` replays the step as
    CUDA graphs (a GPU step bound by kernel launches), ``max-autotune`` also tunes kernels."""
    ensemble: Annotated[int, Field(ge=0, le=1000)] = 0
    """inverse solves: refit this many members on re-noised observations, each from its own
    seed, and report their spread next to the Laplace interval (:mod:`pinnlab.ensemble`)."""

    def phases(self) -> list[Phase]:
        """The warm-up fit (``warmup_steps`` > 0: Adam on the network alone), then Adam and
        L-BFGS, each ending at its best state when ``restore_best``."""
        phases = super().phases()
        for p in phases:
            p.restore_best = self.restore_best
        return self.with_warmup(phases)


def output_bounds(problem: Problem) -> dict[str, tuple[float, float]]:
    """The bounded fields' ``(lo, hi)`` as numbers."""
    return {f: tuple(problem.constant(v, f"fields.{f}.bounds") for v in rng)
            for f, rng in problem.bounds.items()}


def check_names(problem: Problem, cfg, terms: list[str]) -> None:
    """Options that name terms or fields must name existing ones (``weights``,
    ``output_scale``)."""
    for key, known in (("weights", terms), ("output_scale", problem.fields)):
        for name in getattr(cfg, key, {}) or {}:
            if name not in known:
                raise SpecError(f"{name!r} is not a {'term' if key == 'weights' else 'field'} "
                                f"of this problem (known: {', '.join(known)})",
                                file=problem.source, key=f"training.{key}.{name}")


class PINNModel(torch.nn.Module):
    """Network + hard-constraint transforms + parameters; maps points to field jets."""

    def __init__(self, problem: Problem, cfg: PINNConfig, generator: torch.Generator):
        super().__init__()
        self.problem = problem
        periodic = [c.on for c in problem.conditions.values() if c.kind == "periodic"]
        self.net = FieldNetwork(problem.domain, problem.fields, width=cfg.width, depth=cfg.depth,
                                activation=cfg.activation,
                                periodic=periodic if cfg.periodic_embedding else (),
                                harmonics=cfg.harmonics, fourier=cfg.fourier,
                                fourier_sigma=cfg.fourier_sigma, output_scale=cfg.output_scale,
                                bounds=output_bounds(problem), input_range=tuple(cfg.input_range),
                                simplex=list(problem.simplex.values()),
                                factorized=cfg.weight_factorization,
                                architecture=cfg.architecture, generator=generator)
        self.params = ParameterSet(problem.parameters)
        self.constraints: dict[str, HardConstraint] = (
            hard_constraints(problem) if cfg.hard_constraints else {})

    def fields_jet(self, points: torch.Tensor, basis: JetBasis,
                   params: dict | None = None) -> Jet:
        """Fields and derivatives at ``points``; ``params`` (the parameter values) may be
        passed in when the caller already has them."""
        x = basis.seed(points)
        raw = self.net.jet(x)
        if not self.constraints:
            return raw
        params = self.params.values() if params is None else params
        chans = []
        for i, f in enumerate(self.problem.fields):
            c = raw.channel(i)
            hc = self.constraints.get(f)
            chans.append(hc.apply(x, c, params) if hc else c)
        return Jet.cat(chans)

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        return self.fields_jet(points, JetBasis(points.shape[1], [])).value

    def imposed(self) -> set[str]:
        return {k for hc in self.constraints.values() for k in hc.conditions}


class PINNLoss:
    """The named losses of a PINN, with point sampling, resampling and causal weights."""

    def __init__(self, problem: Problem, model: PINNModel, cfg: PINNConfig, generator):
        self.problem, self.model, self.cfg, self.gen = problem, model, cfg, generator
        dtype = next(model.parameters()).dtype
        device = next(model.parameters()).device
        skip = set(model.imposed())
        if cfg.periodic_embedding:
            skip |= {f"conditions.{k}" for k, c in problem.conditions.items()
                     if c.kind == "periodic"}
        n = {"residual": cfg.residual_points, "boundary": cfg.boundary_points,
             "initial": cfg.initial_points}
        self.terms: list[Term] = compile_terms(problem, n, skip=skip, dtype=dtype, device=device,
                                               sampling=cfg.sampling)
        self.time_index = problem.coords.index(problem.time) if problem.time else None
        if cfg.compile and cfg.adaptive_weights:
            # gradient-norm weights differentiate each term separately (retain_graph=True),
            # which compiled backward functions with donated buffers do not allow
            import torch._functorch.config as functorch_config

            functorch_config.donated_buffer = False
        self.basis = JetBasis(len(problem.coords), [i for t in self.terms for i in t.indices])
        eager = sorted(f for f, fn in problem.functions.items() if not fn.compiles)
        if cfg.compile and eager:  # graph breaks and recompilations: slower than eager
            warnings.warn(f"compile is off: torch.compile cannot trace {eager[0]}() "
                          "(a plug-in function); the loss runs eagerly", stacklevel=2)
        self._compiled = (torch.compile(self._compute, mode=cfg.compile_mode)
                          if cfg.compile and not eager else None)
        self._compiled_ok = False
        self.announce = False  # say once that the first compiled step compiles (progress on)
        self._bucket: tuple[str, int] | None = None
        self._groups: tuple[tuple[int, ...], ...] = ()  # terms sharing points (__call__)
        self._counts: dict[str, tuple] = {}  # values of each non-pointwise term (rows)
        self.resample()
        self._causal = None
        if cfg.causal and self.time_index is not None:
            self._causal = CausalWeights(*problem.domain[problem.time], cfg.causal_chunks,
                                         cfg.causal_eps)
            if cfg.causal_scale == "initial":
                self._calibrate_causal()

    def resample(self) -> None:
        """New points for every sampled term. Terms with one sampler and one point count share
        their points (the equations of a system are evaluated together, their common
        definitions once). With ``resample = "rad"`` the residual points follow the
        residual-based adaptive distribution (Wu et al. 2023): from a pool four times larger,
        draw without replacement with probability ``∝ mean_t(|r_t|^k / mean|r_t|^k) + c`` over
        the terms ``t`` that share the points."""
        groups: dict[tuple, list[Term]] = {}
        for t in self.terms:
            if t.sample is None:
                t.points = t.fixed
            else:
                groups.setdefault((id(t.sample), t.n_points), []).append(t)
        for (_, n), ts in groups.items():
            rad = (self.cfg.resample == "rad" and ts[0].points is not None
                   and all(t.kind == "residual" for t in ts))
            points = self._rad(ts) if rad else ts[0].sample(n, self.gen)
            for t in ts:
                t.points = points

    def _rad(self, terms: list[Term]) -> torch.Tensor:
        n = terms[0].n_points
        pool = terms[0].sample(4 * n, self.gen)
        params = {k: v.detach() for k, v in self.model.params.values().items()}
        basis = JetBasis(pool.shape[1], sorted({i for t in terms for i in t.indices}))
        r: list[list[torch.Tensor]] = [[] for _ in terms]
        with torch.no_grad():
            for x in pool.split(16384):
                jet = self.model.fields_jet(x, basis, params)
                for rt, t in zip(r, terms, strict=True):
                    rt.append(t.residual(x, jet, params).abs() ** self.cfg.rad_k)
                release_environment()
        density = sum(w / w.mean().clamp_min(1e-30) for w in map(torch.cat, r)) / len(terms)
        pick = torch.multinomial(density + self.cfg.rad_c, n, replacement=False,
                                 generator=self.gen)
        return pool[pick]

    def _key(self, step: int, kind: str) -> tuple[str, int] | None:
        every = self.cfg.resample_every if kind == "adam" else self.cfg.lbfgs_resample_every
        return (kind, step // every) if every else None

    def due(self, step: int, kind: str = "adam") -> bool:
        """Whether :meth:`on_step` at this step will draw new points."""
        key = self._key(step, kind)
        return key is not None and self._bucket is not None and self._bucket[0] == kind \
            and key != self._bucket

    def on_step(self, step: int, kind: str = "adam") -> bool:
        key = self._key(step, kind)
        if key is None:
            return False
        if self._bucket is None or self._bucket[0] != kind:  # a phase starts: keep the points
            self._bucket = key
            return False
        if key != self._bucket:
            self._bucket = key
            self.resample()
            return True
        return False

    def state_dict(self) -> dict:
        return {"points": {t.name: t.points for t in self.terms},
                "bucket": list(self._bucket) if self._bucket else None}

    def load_state_dict(self, state: dict) -> None:
        for t in self.terms:
            t.points = state["points"][t.name]
        self._bucket = tuple(state["bucket"]) if state["bucket"] else None

    def __call__(self) -> dict[str, torch.Tensor]:
        # terms that share their points form one group; the grouping is found here, outside
        # the compiled function, which then sees only tensors and fixed integers (inside it,
        # object identities would be guarded on and every resample would recompile)
        points = self.point_groups()
        if self._compiled is not None:
            if self.announce and not self._compiled_ok:
                from tqdm.auto import tqdm

                tqdm.write("compiling the loss (one-off) ...", file=sys.stderr)
                self.announce = False
            try:
                out = self._compiled(points)
                self._compiled_ok = True
                return out
            except Exception as exc:  # e.g. no C++ toolchain: fall back, once, with a warning
                if self._compiled_ok:
                    raise
                warnings.warn(f"torch.compile failed ({type(exc).__name__}: "
                              f"{str(exc).splitlines()[0][:120]}); training without it",
                              stacklevel=2)
                self._compiled = None
        return self._compute(points)

    def point_groups(self) -> list[torch.Tensor]:
        """The distinct point sets of the terms, in term order; sets ``self._groups`` (the
        terms of each set) for :meth:`_compute`."""
        points, groups, seen = [], [], {}
        for i, t in enumerate(self.terms):
            if id(t.points) not in seen:
                seen[id(t.points)] = len(points)
                points.append(t.points)
                groups.append([])
            groups[seen[id(t.points)]].append(i)
        self._groups = tuple(tuple(g) for g in groups)
        return points

    def _compute(self, points: list[torch.Tensor]) -> dict[str, torch.Tensor]:
        """Every term from one batched jet pass of the network over all their points (on
        the union of the terms' derivative bases): one pass instead of one per term.
        ``points[g]`` are the points of the terms ``self._groups[g]`` (one slice, one
        environment per group)."""
        params = self.model.params.values()
        jet = self.model.fields_jet(torch.cat(points), self.basis, params)
        out, start = {}, 0
        for x, group in zip(points, self._groups, strict=True):
            stop = start + x.shape[0]
            part = Jet([p[start:stop] for p in jet.parts], jet.basis)
            start = stop
            for t in (self.terms[i] for i in group):
                r = t.residual(x, part, params)
                if t.kind == "residual" and self._causal is not None:
                    out[t.name] = self._causal(x[:, self.time_index], r, t.name)
                else:
                    out[t.name] = (r**2).mean()
        release_environment()
        return {t.name: out[t.name] for t in self.terms}

    def _calibrate_causal(self) -> None:
        """Each residual term's causal scale from the initial network on the initial points
        (:mod:`pinnlab.methods.causal`)."""
        params = {k: v.detach() for k, v in self.model.params.values().items()}
        for t in self.terms:
            if t.kind == "residual":
                with torch.no_grad():
                    jet = self.model.fields_jet(t.points, t.basis, params)
                    r = t.residual(t.points, jet, params)
                self._causal.calibrate(t.name, t.points[:, self.time_index], r)

    def rows(self, weights: dict[str, float]) -> list[tuple]:
        """The loss ``Σ_k w_k mean(r_k²)`` as rows ``(points, residual, √(w_k / N_k),
        pointwise)`` (for Levenberg–Marquardt and the Laplace intervals; ``N_k`` counts every
        value; :attr:`Term.pointwise`)."""
        def residual(x, t):
            params = self.model.params.values()
            r = t.residual(x, self.model.fields_jet(x, t.basis, params), params)
            release_environment()
            return r

        out = []
        for t in self.terms:  # the mean is over every value (an observation holds several)
            if t.pointwise:
                n = len(t.points)  # one value per point (the Term contract)
            else:  # counted once per point set, not at every Levenberg–Marquardt iteration
                known = self._counts.get(t.name)
                if known is None or known[0] is not t.points:
                    with torch.no_grad():
                        known = self._counts[t.name] = (t.points, residual(t.points, t).numel())
                n = known[1]
            out.append((t.points, partial(residual, t=t), math.sqrt(weights[t.name] / n),
                        t.pointwise))
        return out


def train_pinn(problem: Problem, cfg: PINNConfig, ctx: RunContext
               ) -> tuple[PINNModel, Trainer]:
    """Build and train a PINN; ``ctx.monitor(model) -> {name: float}`` adds numbers to the
    history (the unknown parameters' estimates are always recorded)."""
    model, _, trainer = build_pinn(problem, cfg, ctx)
    trainer.run(resume=ctx.resume)
    return model, trainer


def build_pinn(problem: Problem, cfg: PINNConfig, ctx: RunContext
               ) -> tuple[PINNModel, PINNLoss, Trainer]:
    """The model (initialised from ``ctx.seed``), its loss (points drawn from the same
    generator) and the trainer that will train them, not yet run."""
    dtype = getattr(torch, cfg.dtype)
    gen = torch.Generator().manual_seed(ctx.seed)
    with _default_dtype(dtype):
        model = PINNModel(problem, cfg, gen).to(device=ctx.device, dtype=dtype)
        loss = PINNLoss(problem, model, cfg, gen)
    loss.announce = ctx.progress
    names = [t.name for t in loss.terms]
    weights = LossWeights(names, cfg.weights, adaptive=cfg.adaptive_weights,
                          every=cfg.weight_every)
    extra = ctx.monitor
    objectives = {}
    if cfg.warmup_steps:
        objectives["warmup"] = WarmupFit(problem, model, cfg.warmup_target, dtype=dtype,
                                         device=ctx.device)
    trainer = Trainer(model, loss, cfg.phases(), weights=weights, on_step=loss.on_step,
                      monitor=lambda: {**model.params.estimates(),
                                       **(extra(model) if extra else {})}, out=ctx.out,
                      checkpoint_every=cfg.checkpoint_every, progress=ctx.progress,
                      generators=[gen], stateful={"points": loss}, time_limit=cfg.time_limit,
                      time_clock=cfg.time_clock, identity=ctx.identity, source=problem.source,
                      lr_factors=model.params.lr_factors(), objectives=objectives,
                      param_sets={"network": list(model.net.parameters())}, on_row=ctx.on_row,
                      rows=lambda: loss.rows(weights.values))
    return model, loss, trainer


class _default_dtype:
    def __init__(self, dtype):
        self.dtype = dtype

    def __enter__(self):
        self.old = torch.get_default_dtype()
        torch.set_default_dtype(self.dtype)

    def __exit__(self, *exc):
        torch.set_default_dtype(self.old)
