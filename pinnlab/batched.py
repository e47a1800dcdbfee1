"""K trainings of one spec as one batched model: seeds of an ensemble, members of a family,
the multi-domain trainings of a sweep or a bandit round that share their interface conditions.

Instance ``k`` is the PINN that :func:`~pinnlab.methods.pinn.train_pinn` would build for its own
problem ``P_k`` (same fields, terms and point counts; known parameter values and observed values
may differ) and seed ``s_k``: the same initial weights, the same points, the same redraws. The
leading Adam phases run on all instances at once: every parameter and buffer is stacked on a new
leading axis of length ``K`` (``torch.func.stack_module_state``), one loss evaluation maps the
instance's loss over that axis (``torch.func.vmap`` of ``functional_call``: batched matrix
products and element-wise jet arithmetic, one Python pass for ``K`` networks), and the one
:class:`~pinnlab.train.Trainer` minimises

    L(θ_1, …, θ_K) = Σ_k Σ_t w_t L_t(θ_k),

whose gradient in ``θ_k`` is the gradient of instance ``k``'s own loss. Adam's update is
element-wise, so each instance takes exactly the steps it would take alone (to rounding: a
batched product may sum in another order). The phases after Adam (L-BFGS, BFGS, LM: a line
search or a damping shared by ``K`` instances would couple them) then run instance by instance,
each in its own trainer, which continues the step count, the history and the point redraws
where the batched phase left them.

Where batching cannot reproduce the separate runs — gradient-norm weights, causal weights, a
warm-up fit, SOAP's matrix preconditioner, a restored best state, a stall or time limit, all of
which would see the K instances together — :func:`train_many` trains them one after the other
and says why in :func:`blockers`.

Speed (``results/speed/batched_cpu_*.md``): on a CPU the batch pays where a step is dominated
by per-operation overhead (small networks, few points; :func:`group_size`); a GPU is where it is
meant to fill the card.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import torch

from .methods.pinn import PINNConfig, PINNLoss, PINNModel, build_pinn
from .spec.problem import Problem
from .stages import LossWeights, RunContext
from .train import Trainer


def blockers(cfg) -> list[str]:
    """The options under which a batched Adam phase would differ from separate trainings
    (a method's configuration without one of these options cannot set it)."""
    out = []
    for key in ("adaptive_weights", "causal", "warmup_steps", "restore_best", "stall_steps",
                "time_limit"):
        if getattr(cfg, key, None):
            out.append(key)
    if getattr(cfg, "optimizer", "adam") != "adam":
        out.append("optimizer")
    return out


class _Loss(torch.nn.Module):
    """``forward(points, constants)``: the named term losses of the wrapped model, with the
    terms' constants (observed values) swapped for the given ones (what ``functional_call``
    maps over the instances)."""

    def __init__(self, model: PINNModel, loss: PINNLoss):
        super().__init__()
        self.model = model
        self._loss = loss

    def forward(self, points: list[torch.Tensor], constants: dict) -> dict[str, torch.Tensor]:
        held = {t.name: t.constants for t in self._loss.terms}
        try:
            for t in self._loss.terms:
                t.constants = constants.get(t.name, t.constants)
            return self._loss._compute(points)
        finally:
            for t in self._loss.terms:
                t.constants = held[t.name]


class Stack(torch.nn.Module):
    """``K`` PINNs of one structure as one module: its parameters are theirs, stacked;
    ``compile`` (a ``torch.compile`` mode) compiles the mapped loss.

    Calling it returns ``{term: Σ_k L_t(θ_k)}`` (what the trainer weights and sums);
    :attr:`last` holds the per-instance values ``{term: (K,)}`` of that call.
    """

    def __init__(self, models: list[PINNModel], losses: list[PINNLoss],
                 compile: str | None = None):
        super().__init__()
        self.models, self.losses = models, losses
        params, buffers = torch.func.stack_module_state(models)
        self.param_names, self.buffer_names = list(params), list(buffers)
        self.stacked = torch.nn.ParameterList(torch.nn.Parameter(p.detach().clone())
                                              for p in params.values())
        for i, b in enumerate(buffers.values()):
            self.register_buffer(f"buffer_{i}", b.clone())
        template = _Loss(models[0], losses[0])
        names = ["model." + n for n in self.param_names + self.buffer_names]

        def one(tensors, points, constants):
            return torch.func.functional_call(template, dict(zip(names, tensors, strict=True)),
                                              (points, constants))

        mapped = torch.func.vmap(one)
        self._mapped = torch.compile(mapped, mode=compile) if compile else mapped
        self.last: dict[str, torch.Tensor] = {}
        # the observed values are fixed for a training; the points change only at redraws
        self._constants = {t.name: {k: torch.stack([loss.terms[i].constants[k]
                                                    for loss in losses]) for k in t.constants}
                           for i, t in enumerate(losses[0].terms) if t.constants}
        self._points = self._stacked_points()

    def _stacked_points(self) -> list[torch.Tensor]:
        groups = [loss.point_groups() for loss in self.losses]
        return [torch.stack(ps) for ps in zip(*groups, strict=True)]

    def lr_factors(self) -> dict[int, float]:
        """``{id(stacked parameter): factor}`` from the instances' per-parameter factors."""
        own = dict(self.models[0].named_parameters())
        factors = self.models[0].params.lr_factors()
        return {id(s): factors[id(own[n])] for n, s in zip(self.param_names, self.stacked,
                                                           strict=True)
                if id(own[n]) in factors}

    def forward(self) -> dict[str, torch.Tensor]:
        tensors = list(self.stacked) + [getattr(self, f"buffer_{i}")
                                        for i in range(len(self.buffer_names))]
        out = self._mapped(tensors, self._points, self._constants)
        self.last = {k: v.detach() for k, v in out.items()}
        return {k: v.sum() for k, v in out.items()}

    @torch.no_grad()
    def sync(self) -> None:
        """Copy each instance's slice of the stacked parameters into its own model."""
        for k, model in enumerate(self.models):
            own = dict(model.named_parameters())
            for n, s in zip(self.param_names, self.stacked, strict=True):
                own[n].copy_(s[k])

    def on_step(self, step: int, kind: str = "adam") -> bool:
        """Each instance's own point redraws (residual-based ones read the current network)."""
        if getattr(self.losses[0].cfg, "resample", None) == "rad" and \
                self.losses[0].due(step, kind):
            self.sync()
        changed = any([loss.on_step(step, kind) for loss in self.losses])
        if changed:
            self._points = self._stacked_points()
        return changed


def group_size(cfg: PINNConfig, device: str = "cpu") -> int:
    """How many instances to batch: on a GPU up to 64; on a CPU only while a step is bound by
    per-operation overhead rather than arithmetic (``results/speed/batched_cpu_*.md``, one
    thread: 3.4× at 128 points for a 2-[20]*2-1 network, 1.2× at 1024 points, none for
    2-[64]*4-1 at 1024 points), i.e. a step's work ``points × width² × depth`` up to 2²²,
    in groups of at most 2²⁶ of it."""
    if str(device).startswith("cuda"):
        return 64
    work = cfg.residual_points * cfg.width**2 * cfg.depth
    return 1 if work > 2**22 else max(1, min(64, 2**26 // work))


def train_many(problems: list[Problem], cfg, ctx: RunContext, seeds: list[int],
               *, group: int | None = None, build: Callable = build_pinn
               ) -> list[tuple[torch.nn.Module, Trainer]]:
    """Train instance ``k`` on ``problems[k]`` from ``seeds[k]`` (module docstring): the leading
    Adam phases batched, ``group`` instances at a time (default :func:`group_size`), the rest
    one instance at a time; the same result as ``[train_pinn(P_k, cfg, ctx with seed s_k)]``
    to rounding, with one trainer's history and stop reasons per instance. Nothing is written
    (``ctx.out`` is ignored). ``build(problem, cfg, ctx)`` makes one instance's ``(model, loss,
    trainer)``: :func:`~pinnlab.methods.pinn.build_pinn` (the default) or another method's
    builder whose loss offers ``point_groups()`` and ``_compute(points)`` as the PINN's does
    (:func:`~pinnlab.methods.multidomain.build_multidomain`)."""
    if len(problems) != len(seeds):
        raise ValueError("one seed per problem")
    group = group or group_size(cfg, ctx.device)
    out = []
    for start in range(0, len(problems), group):
        out += _train_group(problems[start:start + group], cfg, ctx, seeds[start:start + group],
                            build)
    return out


def _train_group(problems, cfg, ctx, seeds, build):
    built = [build(p, cfg, dataclasses.replace(ctx, seed=s, resume=False, out=None))
             for p, s in zip(problems, seeds, strict=True)]
    phases = cfg.phases()
    lead = 0
    while lead < len(phases) and phases[lead].kind == "adam":
        lead += 1
    why = blockers(cfg) + getattr(built[0][1], "batch_blockers", list)()
    if len(built) > 1 and lead and not why and _same_shapes(built):
        _batched_adam(built, cfg, ctx, phases[:lead])
    for _, _, trainer in built:
        trainer.run()
    return [(model, trainer) for model, _, trainer in built]


def _same_shapes(built) -> bool:
    def shapes(model, loss):
        return ([(n, tuple(v.shape)) for n, v in model.state_dict().items()],
                [(t.name, tuple(t.points.shape)) for t in loss.terms],
                [(t.name, {k: tuple(v.shape) for k, v in t.constants.items()})
                 for t in loss.terms])

    first = shapes(*built[0][:2])
    return all(shapes(m, lo) == first for m, lo, _ in built[1:])


def _batched_adam(built, cfg, ctx: RunContext, phases) -> None:
    """Run the Adam ``phases`` on the stacked instances and hand each instance's trainer the
    state it would have after them (parameters, step counts, stop reasons, history)."""
    models = [m for m, _, _ in built]
    losses = [lo for _, lo, _ in built]
    trainers = [t for _, _, t in built]
    stack = Stack(models, losses,
                  compile=cfg.compile_mode if getattr(cfg, "compile", False) else None)
    own = trainers[0].weights  # each instance's weights: the same fixed numbers
    weights = LossWeights(list(own.values), dict(own.values))
    rows: list[list[dict]] = [[] for _ in built]

    def split(row: dict) -> None:  # the logged row of the sum -> one row per instance
        stack.sync()
        for k, trainer in enumerate(trainers):
            terms = {n: float(v[k]) for n, v in stack.last.items()}
            total = sum(weights.values[n] * v for n, v in terms.items())
            rows[k].append({"step": row["step"], "phase": row["phase"], "loss": total,
                            **terms, "wall_s": row["wall_s"], **trainer.monitor()})

    batch = Trainer(stack, stack, phases, weights=weights, on_step=stack.on_step,
                    progress=ctx.progress, lr_factors=stack.lr_factors(), on_row=split,
                    final_row=False, source=losses[0].problem.source)
    state = batch.run()
    stack.sync()
    first = [r[0]["loss"] for r in rows]
    for k, trainer in enumerate(trainers):
        trainer.state.step = state.step
        trainer.state.done.update(state.done)
        trainer.state.stops.update(state.stops)
        trainer.state.history.extend(rows[k])
        trainer.state.wall_s = state.wall_s
        trainer.first_loss["main"] = max(first[k], 1e-300)
        trainer.batched = len(trainers)
