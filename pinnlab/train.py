"""The trainer: optimizer phases, history, checkpoints, resume, divergence guard.

It knows nothing about PDEs. It minimises ``Σ_k w_k L_k`` where ``losses()`` returns the named
terms ``{name: L_k}`` and ``weights`` (a :class:`LossWeights`) holds ``w_k``. Phases run in order
(e.g. Adam then L-BFGS) over **all** parameters of ``module`` — unknown PDE parameters included,
so changing optimizer never freezes one. Each phase reports why it stopped.

Checkpoints (``checkpoint.pt``) are written atomically every ``checkpoint_every`` steps and at the
end; a run started with ``resume=True`` continues from the last one with the same numbers it would
have produced without the interruption (optimizer state and random generators are restored).
On a non-finite or exploding loss the trainer restores the best state seen, writes it as the
checkpoint and raises :class:`~pinnlab.errors.DivergenceError`.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict

import torch

from . import stages
from .errors import DataError, DivergenceError
from .stages import LossWeights, Phase, RunContext, TrainState, run_metrics

__all__ = ["LossWeights", "Phase", "RunContext", "TrainState", "Trainer", "run_metrics"]


_LIMIT_STOPS = ("step limit", "iteration limit", "time limit")


class Trainer:
    """Run optimizer phases on ``module``.

    Args:
        module: holds every trainable parameter (network and unknown PDE parameters).
        losses: callable returning ``{name: scalar loss}`` at the current parameters.
        phases: the optimizer phases, in order.
        weights: named loss weights (default: all 1).
        on_step: ``on_step(step, kind) -> bool`` called before each Adam step and between
            L-BFGS chunks (``kind`` is the phase kind); it returns ``True`` when it changed the
            objective (new points), which restarts the L-BFGS curvature history.
        monitor: ``monitor() -> {name: float}`` extra numbers for the history (e.g. parameter
            estimates), recorded every ``log_every`` steps.
        out: folder for ``checkpoint.pt``; ``None`` keeps nothing on disk. ``on_row(row)``:
            called with each history row as it is logged (a live logger).
        checkpoint_file: the checkpoint's path when it is not ``out/checkpoint.pt``.
        kind: the checkpoint's kind (``trainer``; ``prior`` for a generative prior), which a
            loader of another kind refuses.
        final_row: end the history with the main objective at the final parameters (off for
            minibatch objectives, whose value at one more batch says little).
        identity: what the checkpoint belongs to (problem, method, options); a resume refuses
            a checkpoint with another identity.
        source: the spec file, named in divergence messages.
        lr_factors: ``{id(parameter): factor}``: Adam's learning rate times ``factor`` for
            those parameters (e.g. an eigenvalue such as a flame speed).
        objectives: more named losses (``{name: () -> {term: loss}}``) that phases may
            minimise instead of ``losses`` (e.g. ``warmup``: a fit to a designed profile).
        param_sets: named parameter lists phases may train instead of all (``network``).
        rows: ``rows() -> [(points, residual, scale, pointwise)]``: the loss as residual
            rows, for a Levenberg–Marquardt phase (:mod:`pinnlab.gauss_newton`).
        progress: show a progress bar with the loss terms.
        stateful: more objects saved in and restored from checkpoints (e.g. sampled points).
        time_limit: stop every phase once this many seconds of training have passed (0: none).
        time_clock: ``wall`` (default) or ``process`` (CPU seconds of this process: a budget
            that other load on a shared machine does not eat into).
        blowup: a loss above ``blowup ×`` the first one counts as divergence.

    Checkpoints are written after an optimizer step (Adam) or an L-BFGS chunk, so the
    checkpoint labelled step ``k`` holds exactly the state after ``k`` iterations, and a resumed
    run repeats the uninterrupted one bit for bit. A phase is complete when it reached its
    budget or stopped for another reason (converged, stalled); resuming with a larger budget
    continues it.
    """

    LBFGS_CHUNK = 20
    #: how many instances ran this trainer's leading Adam phases as one batch
    #: (:mod:`pinnlab.batched`; 0: it ran alone)
    batched: int = 0

    def __init__(self, module: torch.nn.Module, losses: Callable[[], dict[str, torch.Tensor]],
                 phases: list[Phase], *, weights: LossWeights | None = None,
                 on_step: Callable[[int, str], bool] | None = None,
                 monitor: Callable[[], dict[str, float]] | None = None, out: str | None = None,
                 checkpoint_every: int = 1000, log_every: int = 50, progress: bool = True,
                 blowup: float = 1e8, generators: list[torch.Generator] = (),
                 stateful: dict[str, object] | None = None, time_limit: float = 0.0,
                 time_clock: str = "wall", identity: dict | None = None,
                 source: str | None = None, lr_factors: dict | None = None,
                 objectives: dict[str, Callable] | None = None,
                 param_sets: dict[str, list] | None = None,
                 checkpoint_file: str | None = None, kind: str = "trainer",
                 final_row: bool = True, on_row: Callable[[dict], None] | None = None,
                 rows: Callable[[], list] | None = None):
        self.module, self.losses, self.phases, self.weights = module, losses, phases, weights
        self.rows = rows
        self.on_step, self.monitor, self.on_row = on_step, monitor, on_row
        self.out, self.checkpoint_every, self.log_every = out, checkpoint_every, log_every
        self.checkpoint_file = str(checkpoint_file) if checkpoint_file else None
        self.kind, self.final_row, self.progress, self.blowup = kind, final_row, progress, blowup
        self.generators, self.time_limit = list(generators), time_limit
        self.stateful = dict(stateful or {})  # objects with state_dict()/load_state_dict()
        self.identity, self.source = identity, source
        self.lr_factors = dict(lr_factors or {})  # id(parameter) -> learning-rate factor
        self.objectives, self.param_sets = dict(objectives or {}), dict(param_sets or {})
        self.phase: Phase | None = None
        self._phase_best: tuple[float, dict] | None = None
        self._clock = time.process_time if time_clock == "process" else time.perf_counter
        self._clock0 = self._clock()
        self.state = TrainState()
        stages.check_phases(phases, module, rows, source)
        self.best: tuple[float, dict] | None = None  # of the current objective
        self.first_loss: dict[str, float] = {}  # each objective's first loss (blow-up scale)
        self.optimizer: torch.optim.Optimizer | None = None
        self._phase_key: str | None = None
        self._pending_optimizer: tuple[str, dict] | None = None

    # ---- the objective -----------------------------------------------------------------
    def objective(self, step: int, *, update_weights: bool = False):
        name = self.phase.objective if self.phase is not None else "main"
        if name != "main":
            terms = self.objectives[name]()
            return sum(terms.values()), terms
        terms = self.losses()
        if self.weights is None:
            self.weights = LossWeights(list(terms))
        if update_weights:
            self.weights.maybe_update(step, terms, self.params)
        total = sum(self.weights.values[k] * v for k, v in terms.items())
        return total, terms

    @property
    def params(self) -> list[torch.nn.Parameter]:
        """The parameters the current phase trains."""
        name = self.phase.params if self.phase is not None else "all"
        if name != "all":
            return [p for p in self.param_sets[name] if p.requires_grad]
        return [p for p in self.module.parameters() if p.requires_grad]

    # ---- running -------------------------------------------------------------------------
    def run(self, *, resume: bool = False) -> TrainState:
        if resume:
            self._load()
        keys = [f"{i}:{p.label}" for i, p in enumerate(self.phases)]
        total = sum(max(p.steps, self.state.done.get(k, 0)) for k, p in zip(keys, self.phases))
        bar = stages._bar(total, sum(self.state.done.get(k, 0) for k in keys), self.progress)
        start = time.perf_counter() - self.state.wall_s
        try:
            for key, phase in zip(keys, self.phases):
                if self._complete(key, phase):
                    continue
                if self._out_of_time():
                    self.state.stops[key] = "time limit"
                    continue
                if self._phase_key != key:
                    self.optimizer = None  # each phase starts its own optimizer
                    self._phase_best = None
                self._phase_key, self.phase = key, phase
                self.state.done.setdefault(key, 0)
                runner = self._adam if phase.kind == "adam" else self._lbfgs
                reason = runner(phase, key, bar, start)
                if phase.restore_best and self._phase_best is not None:
                    self.module.load_state_dict(self._phase_best[1])
                    reason += f"; restored the best state (loss {self._phase_best[0]:.3e})"
                self.state.stops[key] = reason
                self.phase = None
                self.state.wall_s = time.perf_counter() - start
            self.state.wall_s = time.perf_counter() - start
            self._final_row(start)
            self._save()
        finally:
            bar.close()
        return self.state

    def _final_row(self, start: float) -> None:
        """Log the main objective at the final parameters (the history's last row otherwise
        holds the last logged step, before the last updates), unless it is logged already."""
        history = self.state.history
        if not self.final_row or self.state.step == 0 or (
                history and history[-1]["step"] == self.state.step):
            return
        total, terms = self.objective(self.state.step)
        row = {"step": self.state.step, "phase": "final", "loss": float(total.detach()),
               **{k: float(v.detach()) for k, v in terms.items()},
               "wall_s": time.perf_counter() - start}
        if self.monitor:
            row.update(self.monitor())
        history.append(row)

    def _complete(self, key: str, phase: Phase) -> bool:
        if self.state.done.get(key, 0) >= phase.steps:
            return True
        reason = self.state.stops.get(key, "")
        return bool(reason) and not reason.startswith(_LIMIT_STOPS)

    def _record(self, step, total, terms, phase, bar, start):
        total_f = float(total.detach())
        objective = self.phase.objective if self.phase is not None else "main"
        first = self.first_loss.get(objective)
        if not math.isfinite(total_f) or (first is not None and total_f > self.blowup * first):
            self._diverged(step, total_f)
        if first is None:  # a new objective: its own scale, its own best state
            self.first_loss[objective] = max(total_f, 1e-300)
            self.best = None
        if self.best is None or total_f < self.best[0]:
            if step % self.log_every == 0 or self.best is None:
                self.best = (total_f, {k: v.detach().clone()
                                       for k, v in self.module.state_dict().items()})
        if self.phase is not None and self.phase.restore_best and (
                self._phase_best is None or total_f < self._phase_best[0]) and (
                step % self.log_every == 0 or self.phase.kind != "adam"):
            self._phase_best = (total_f, {k: v.detach().clone()
                                          for k, v in self.module.state_dict().items()})
        if step % self.log_every == 0:
            row = {"step": step, "phase": phase, "loss": total_f,
                   **{k: float(v.detach()) for k, v in terms.items()},
                   "wall_s": time.perf_counter() - start}
            if self.monitor:
                row.update(self.monitor())
            self.state.history.append(row)
            if self.on_row:
                self.on_row(row)
            bar.set_postfix_str(stages._short(row, terms))

    def _maybe_save(self, before: int, start: float) -> None:
        """Checkpoint when the step counter crossed a multiple of ``checkpoint_every``."""
        every = self.checkpoint_every
        if self.path() and self.state.step // every > before // every:
            self.state.wall_s = time.perf_counter() - start
            self._save()

    def _adam(self, phase: Phase, key: str, bar, start) -> str:
        if self.optimizer is None:
            groups: dict[float, list] = {}
            for p in self.params:
                groups.setdefault(self.lr_factors.get(id(p), 1.0), []).append(p)
            self.optimizer = stages.first_order(
                phase, [{"params": ps, "factor": f} for f, ps in groups.items()])
            self._restore_optimizer(key)
        opt = self.optimizer
        stall = stages.StallWatch(phase.stall, self.state.done[key])
        while self.state.done[key] < phase.steps:
            step, local = self.state.step, self.state.done[key]
            for g in opt.param_groups:
                g["lr"] = g["factor"] * phase.lr * phase.lr_factor(local)
            if self.on_step:
                self.on_step(step, "adam")
            opt.zero_grad(set_to_none=True)
            total, terms = self.objective(step, update_weights=True)
            total.backward()
            self._record(step, total, terms, phase.label, bar, start)
            if phase.clip > 0:
                torch.nn.utils.clip_grad_norm_(self.params, phase.clip)
            opt.step()
            self.state.step += 1
            self.state.done[key] += 1
            bar.update(1)
            self._maybe_save(step, start)
            if self._out_of_time():
                return f"time limit ({self.time_limit:g} s) at step {self.state.step}"
            if phase.stall and stall(float(total.detach()), local):
                return f"stalled at step {self.state.step}: " + stall.reason
        return f"step limit ({phase.steps} steps)"

    def _new_lbfgs(self, phase: Phase) -> torch.optim.Optimizer:
        return stages.second_order(phase, self.module, self.params, self.rows)

    def _lbfgs(self, phase: Phase, key: str, bar, start) -> str:
        if self.optimizer is None:
            self.optimizer = self._new_lbfgs(phase)
            self._restore_optimizer(key)
        last = {}

        def closure():
            self.optimizer.zero_grad(set_to_none=True)
            total, terms = self.objective(self.state.step)
            total.backward()
            last["total"], last["terms"] = total, terms
            return total

        while self.state.done[key] < phase.steps:
            if self.on_step and self.on_step(self.state.step, "lbfgs"):  # a new objective
                forget = getattr(self.optimizer, "forget_gradient", None)
                if forget is not None:
                    forget()  # BFGS keeps its inverse Hessian
                else:
                    self.optimizer = self._new_lbfgs(phase)  # L-BFGS drops its pairs
            opt = self.optimizer
            n = min(getattr(opt, "chunk", self.LBFGS_CHUNK), phase.steps - self.state.done[key])
            for g in opt.param_groups:
                g["max_iter"] = n
                g["max_eval"] = 25 * n  # a strong-Wolfe search takes at most 25 evaluations
            state = opt.state[opt._params[0]]
            before, evals = state.get("n_iter", 0), state.get("func_evals", 0)
            opt.step(closure)
            state = opt.state[opt._params[0]]
            ran = state.get("n_iter", 0) - before
            out_of_evals = state.get("func_evals", 0) - evals >= 25 * n
            step0 = self.state.step
            for _ in range(max(ran, 1)):
                self._record(self.state.step, last["total"], last["terms"], phase.label, bar,
                             start)
                self.state.step += 1
                self.state.done[key] += 1
                bar.update(1)
            if ran < n and (ran == 0 or not out_of_evals):  # converged or no progress
                self.state.wall_s = time.perf_counter() - start
                return stages.quasi_newton_stop(self.params, phase, self.state.step)
            self._maybe_save(step0, start)
            if self._out_of_time():
                return f"time limit ({self.time_limit:g} s) at step {self.state.step}"
        return f"iteration limit ({phase.steps} iterations)"

    def _out_of_time(self) -> bool:
        return bool(self.time_limit) and self._clock() - self._clock0 > self.time_limit

    # ---- safety --------------------------------------------------------------------------
    def _diverged(self, step: int, value: float):
        if self.best is not None:
            self.module.load_state_dict(self.best[1])
        self.optimizer = None
        if self.path():
            self._save(tag="best")
        where = f"; best state (loss {self.best[0]:.3e}) kept" if self.best else ""
        saved = f" in {self.path()}" if self.path() else ""
        raise DivergenceError(f"training diverged at step {step}: loss = {value:.3e}{where}"
                              f"{saved}; lower the learning rate or check the spec",
                              file=self.source, key="training")

    # ---- checkpoints ---------------------------------------------------------------------
    def path(self) -> str | None:
        if self.checkpoint_file:
            return self.checkpoint_file
        return os.path.join(self.out, "checkpoint.pt") if self.out else None

    def _save(self, tag: str = "") -> None:
        from . import checkpoint

        path = self.path()
        if path is None:
            return
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        payload = {
            "module": self.module.state_dict(),
            "optimizer": self.optimizer.state_dict() if self.optimizer else None,
            "optimizer_phase": self._phase_key if self.optimizer else None,
            "phase_best": list(self._phase_best) if self._phase_best else None,
            "state": asdict(self.state),
            "weights": self.weights.state_dict() if self.weights else None,
            "generators": [g.get_state() for g in self.generators],
            "stateful": {k: v.state_dict() for k, v in self.stateful.items()},
            "first_loss": self.first_loss,
            "tag": tag,
        }
        checkpoint.save(path, payload, kind=self.kind, identity=self.identity)

    def _load(self) -> None:
        from . import checkpoint

        path = self.path()
        if path is None:
            return
        if not os.path.lexists(path):
            raise DataError("--resume: no checkpoint to continue from", file=path,
                            key="--resume")
        payload = checkpoint.load(path, kind=self.kind, identity=self.identity)
        try:
            self.module.load_state_dict(payload["module"])
            self.state = TrainState(**payload["state"])
            if payload["weights"] is not None:
                self.weights = self.weights or LossWeights(list(payload["weights"]))
                self.weights.load_state_dict(payload["weights"])
            for g, s in zip(self.generators, payload["generators"], strict=True):
                g.set_state(s)
            for k, v in self.stateful.items():
                v.load_state_dict(payload["stateful"][k])
            first = payload["first_loss"]
            self.first_loss = ({"main": float(first)} if isinstance(first, (int, float))
                               else dict(first or {}))
        except (KeyError, TypeError, ValueError, RuntimeError):
            raise DataError("checkpoint does not fit this model (another version or width)",
                            file=path, key="checkpoint") from None
        if payload.get("optimizer") is not None:
            self._pending_optimizer = (payload["optimizer_phase"], payload["optimizer"])
            self._phase_key = payload["optimizer_phase"]
            best = payload.get("phase_best")
            self._phase_best = (float(best[0]), best[1]) if best else None

    def _restore_optimizer(self, key: str) -> None:
        pending, self._pending_optimizer = self._pending_optimizer, None
        if pending is not None and pending[0] == key:
            try:
                self.optimizer.load_state_dict(pending[1])
            except (ValueError, KeyError, TypeError) as exc:
                raise DataError(f"optimizer state does not fit ({type(exc).__name__})",
                                file=self.path(), key="checkpoint") from None
