"""Training the ANP across the GPME family, optionally with the SoftC residual penalty.

Each step draws a fresh batch of functions (parameter p ~ U(train range) per function, see
:mod:`pinnlab.conservation.data`) and takes an Adam step on the negative ELBO (learning rate:
linear warm-up over ``warmup`` steps, then cosine decay to 5 %; gradient norm clipped at
``clip``). With ``val_every`` > 0 the predictive negative log-likelihood of a fixed validation
set (``n_val`` functions with p ~ U(train range), drawn from their own seed, never the test
functions) is measured every ``val_every`` steps and the weights with the lowest value are kept,
as the reference keeps its best validation checkpoint (written to ``checkpoint`` at every
improvement when a path is given, so an interrupted run still leaves its best weights). A
``val_score`` (a function of the model, lower is better, e.g.
:func:`pinnlab.conservation.selection.shock_score`) is recorded at the same steps and its best
weights written to ``score_checkpoint``; the returned model is still the best-NLL one. With
``workers`` > 0 the functions are drawn in that many background processes (each from its own
seed), which keeps a GPU busy while the exact solutions are evaluated. ``compile`` wraps the
ELBO (forward and, through AOTAutograd, backward) in ``torch.compile`` with that mode: one eager
step is about 3 200 small operations, so on a GPU the step is bound by their dispatch, which
"reduce-overhead" (CUDA graphs) removes. SoftC adds
λ · mean(r²) with the GPME residual r = u_t - (k(u; p) u_x)_x of the decoder mean at the target
points, differentiated by autograd through the scaled inputs (s_t = (t - t0)/T, s_x = (x - x0)/L,
so ∂_t = ∂_{s_t}/T and ∂_x = ∂_{s_x}/L).
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from pinnlab import checkpoint
from pinnlab.conservation.anp import AttentiveNeuralProcess
from pinnlab.conservation.data import FunctionBatch, sample_functions, scale_inputs
from pinnlab.conservation.problems import GPMEProblem
from pinnlab.errors import DataError
from pinnlab.train import LossWeights, Phase, Trainer


@dataclass
class TrainConfig:
    """Budget and optimiser settings; ``softc_weight`` λ > 0 turns on the SoftC penalty."""

    steps: int = 1500
    batch: int = 16
    lr: float = 1e-3
    hidden: int = 128
    layers: int = 2
    softc_weight: float = 0.0
    warmup: int = 0
    clip: float = 10.0
    val_every: int = 0
    n_val: int = 100
    seed: int = 0
    workers: int = 0
    checkpoint: str | None = None
    compile: str | None = None  # torch.compile mode for the ELBO, e.g. "default", "reduce-overhead"
    val_score: Callable[[torch.nn.Module], float] | None = None  # e.g. selection.shock_score
    score_checkpoint: str | None = None  # where the weights with the best val_score go
    dtype: torch.dtype = torch.float32
    device: str | torch.device = "cpu"


@dataclass
class TrainResult:
    model: AttentiveNeuralProcess
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    val_history: list[tuple[int, float]] = field(default_factory=list)  # (step, validation NLL)
    step_ends: list[float] = field(default_factory=list)  # wall seconds since start, per step
    best_step: int | None = None
    score_history: list[tuple[int, float]] = field(default_factory=list)  # (step, val_score)
    best_score_step: int | None = None


def validation_nll(model, problem: GPMEProblem, val, dtype, device, n_latent: int = 16) -> float:
    """Mean Gaussian NLL of the validation targets under the moment-matched predictive."""
    cs, cu, ts, tu, _ = to_tensors(problem, val, dtype, device)
    gen = torch.Generator(device=device).manual_seed(0)
    was_training = model.training
    model.eval()
    mean, var = model.predict(cs, cu, ts, n_latent=n_latent, generator=gen)
    model.train(was_training)
    nll = 0.5 * (math.log(2 * math.pi) + torch.log(var) + (tu - mean) ** 2 / var)
    return float(nll.mean())


class _FunctionStream(torch.utils.data.IterableDataset):
    """Endless batches of functions, one independent seed per worker process."""

    def __init__(self, problem: GPMEProblem, batch: int, seed: int):
        self.problem, self.batch, self.seed = problem, batch, seed

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        rng = np.random.default_rng([self.seed, 0 if info is None else info.id + 1])
        while True:
            yield sample_functions(self.problem, self.batch, rng)


def _as_is(batch):
    return batch


def _batches(problem: GPMEProblem, config: TrainConfig, rng: np.random.Generator):
    """Function batches for training: in this process from ``rng`` (reproducible stream), or
    from ``config.workers`` background processes."""
    if config.workers <= 0:
        while True:
            yield sample_functions(problem, config.batch, rng)
    stream = _FunctionStream(problem, config.batch, config.seed)
    loader = torch.utils.data.DataLoader(
        stream, batch_size=None, num_workers=config.workers, collate_fn=_as_is,
        prefetch_factor=4, persistent_workers=False,
    )
    yield from loader


def to_tensors(problem: GPMEProblem, batch: FunctionBatch, dtype, device):
    """(context_s, context_u, target_s, target_u, params) as tensors of the given dtype/device."""

    def as_t(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(a, dtype=dtype, device=device)

    cs = as_t(scale_inputs(problem, batch.context_t, batch.context_x))
    ts = as_t(scale_inputs(problem, batch.target_t, batch.target_x))
    return cs, as_t(batch.context_u), ts, as_t(batch.target_u), as_t(batch.params)


def gpme_residual(problem: GPMEProblem, u: torch.Tensor, s: torch.Tensor, params: torch.Tensor):
    """The spec's equation (``u_t - (k(u) u_x)_x``) on u(s) (B, N), s the scaled (t, x) inputs
    (B, N, 2), params (B,) the family parameter of each function: the compiled expression on
    the derivative engine's autograd backend (:mod:`pinnlab.autograd_jet`)."""
    from pinnlab.autograd_jet import autograd_jet
    from pinnlab.jet import JetBasis
    from pinnlab.losses import environment, release_environment

    spec = problem.spec
    (equation,) = spec.compiled_equations().values()
    coords = spec.coords
    column = {spec.time: 0, spec.space[0]: 1}  # the ANP's inputs are (t, x)
    ranges = {spec.time: problem.t_range, spec.space[0]: problem.x_range}
    scales = [ranges[c][1] - ranges[c][0] for c in coords]
    basis = JetBasis(len(coords), [sym.index for sym in equation.needed()])
    jet = autograd_jet(u, s, basis, scales, [column[c] for c in coords])
    flat = s.reshape(-1, 2)
    points = torch.stack([ranges[c][0] + scales[k] * flat[:, column[c]]
                          for k, c in enumerate(coords)], 1)
    values = {k: torch.as_tensor(p.value, dtype=u.dtype, device=u.device)
              for k, p in spec.parameters.items() if not p.unknown}
    values[problem.parameter] = params.repeat_interleave(u.shape[-1])
    r = equation.evaluate(environment(spec, points, jet, values))
    release_environment()
    return r.reshape(u.shape)


def train_anp(
    problem: GPMEProblem,
    config: TrainConfig,
    model: AttentiveNeuralProcess | None = None,
    log_every: int = 0,
) -> TrainResult:
    """Train (or continue training) an ANP on functions of ``problem`` with the trainer: one
    Adam phase on a stream of function batches, cosine schedule with warm-up, clipped
    gradients; validation and the kept weights as in the module docstring."""
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    if model is None:
        model = AttentiveNeuralProcess(config.hidden, layers=config.layers)
    model = model.to(device=config.device, dtype=config.dtype).train()
    result = TrainResult(model)
    elbo = model.elbo_loss
    if config.compile and config.softc_weight == 0:
        elbo = torch.compile(model.elbo_loss, mode=config.compile)
    batches = _batches(problem, config, rng)

    def losses() -> dict[str, torch.Tensor]:
        cs, cu, ts, tu, params = to_tensors(problem, next(batches), config.dtype, config.device)
        if config.softc_weight > 0:
            ts.requires_grad_(True)
        loss, mu = elbo(cs, cu, ts, tu)
        if config.softc_weight <= 0:
            return {"elbo": loss}
        return {"elbo": loss, "softc": gpme_residual(problem, mu, ts, params).pow(2).mean()}

    keeper = _Keeper(problem, config, model, result, verbose=bool(log_every))
    phase = Phase("adam", config.steps, lr=config.lr, schedule="cosine", warmup=config.warmup,
                  floor=0.05, clip=config.clip)
    trainer = Trainer(model, losses, [phase], weights=LossWeights(
        ["elbo", "softc"], {"softc": config.softc_weight}), on_step=keeper.on_step,
        log_every=1, progress=bool(log_every), blowup=math.inf, final_row=False)
    start, cpu_start = time.perf_counter(), time.process_time()
    try:
        trainer.run()
    finally:  # stop the data workers also when the run diverges
        batches.close()
    keeper.finish(config.steps)
    result.losses = [row["loss"] for row in trainer.state.history]
    result.step_ends = [row["wall_s"] for row in trainer.state.history]
    result.seconds = time.perf_counter() - start
    result.cpu_seconds = time.process_time() - cpu_start
    model.eval()
    return result


class _Keeper:
    """Validation every ``val_every`` steps and at the end: the weights with the lowest
    validation NLL (kept, and written to ``checkpoint``), and those with the lowest
    ``val_score`` (written to ``score_checkpoint``)."""

    def __init__(self, problem, config: TrainConfig, model, result: TrainResult, verbose: bool):
        self.problem, self.config, self.model, self.result = problem, config, model, result
        self.verbose, self.last = verbose, 0
        self.best, self.best_score, self.best_state = math.inf, math.inf, None
        self.val = None
        if config.val_every > 0:
            self.val = sample_functions(problem, config.n_val,
                                        np.random.default_rng(config.seed + 10_007))

    def on_step(self, step: int, kind: str) -> bool:
        if self.val is not None and step > 0 and step % self.config.val_every == 0:
            self.validate(step)
        return False

    def finish(self, steps: int) -> None:
        if self.val is not None and self.last != steps:
            self.validate(steps)
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)

    def validate(self, step: int) -> None:
        config, result, model = self.config, self.result, self.model
        self.last = step
        v = validation_nll(model, self.problem, self.val, config.dtype, config.device)
        result.val_history.append((step, v))
        if v < self.best:
            self.best, result.best_step = v, step
            self.best_state = copy.deepcopy(model.state_dict())
            if config.checkpoint:
                save_checkpoint(model, config.checkpoint, step=step, validation_nll=v)
        if config.val_score is not None:
            score = config.val_score(model)
            result.score_history.append((step, score))
            if score < self.best_score:
                self.best_score, result.best_score_step = score, step
                if config.score_checkpoint:
                    save_checkpoint(model, config.score_checkpoint, step=step,
                                    validation_score=score)
        if self.verbose:
            extra = (f"  score {result.score_history[-1][1]:.4f}"
                     if config.val_score is not None else "")
            print(f"step {step:5d}  validation NLL {v:+.4f}{extra}", flush=True)


def save_checkpoint(model: AttentiveNeuralProcess, path, **info) -> None:
    """Write the ANP's architecture and weights (on the CPU) atomically to ``path`` (a
    :mod:`pinnlab.checkpoint` file of kind ``anp``)."""
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    checkpoint.save(path, {"config": dict(model.config), "state": state, "info": info},
                    kind="anp")


def load_checkpoint(path, key: str = "--weights") -> AttentiveNeuralProcess:
    """An ANP from :func:`save_checkpoint`'s file (checked and read as plain tensors)."""
    saved = checkpoint.load(path, kind="anp", key=key)
    try:
        model = AttentiveNeuralProcess(**saved["config"])
        model.load_state_dict(saved["state"])
    except (RuntimeError, KeyError, TypeError, ValueError):
        raise DataError("checkpoint does not hold an ANP of this version", file=str(path),
                        key=key) from None
    return model.eval()
