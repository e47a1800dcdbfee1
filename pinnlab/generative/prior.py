"""A trained generative prior of PDE fields: U-Net + schedule + normalisation, training and
sampling.

Objectives (fields normalised per channel to zero mean, unit standard deviation, x0 of shape
(batch, channels, *grid), eps ~ N(0, I)):

* "vp": x_t = alpha_t x0 + sigma_t eps (linear VP), t ~ U(1e-3, 1), loss |x0_hat(x_t, t) - x0|^2
  (data prediction: a noise-prediction network's error is amplified by 1/alpha_t ~ 150 in x0_hat at
  t = 1, which a first large step carries into the whole trajectory);
* "vp-eps": the same with noise prediction, loss |eps_hat(x_t, t) - eps|^2;
* "rf": x_s = (1 - s) x0 + s eps, s ~ U(0, 1), loss |v_hat(x_s, s) - (eps - x0)|^2 (velocity).

Training runs on :class:`pinnlab.train.Trainer`: a progress bar, a checkpoint (network,
optimiser, step, losses, random generator, config, normalisation) every ``checkpoint_every``
steps and at the end, an exact resume from it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from .. import checkpoint as ckpt
from ..errors import DataError, SpecError
from ..train import Phase, Trainer
from .sampling import sample
from .schedule import RectifiedFlowSchedule, VPSchedule
from .unet import UNet


@dataclass
class PriorConfig:
    objective: str = "vp"
    dim: int = 2
    channels: int = 1
    base: int = 16
    mults: tuple = (1, 2)
    steps: int = 1500
    batch: int = 16
    lr: float = 2e-3
    seed: int = 0
    extra: dict = field(default_factory=dict)
    grid: tuple = ()
    """the training fields' grid shape (set by :func:`train_prior`; the reconstruction's
    default grid)."""


class Prior:
    """Callable model (x_t, t) -> prediction in normalised units, plus conversions and sampling."""

    def __init__(self, config: PriorConfig, shift: np.ndarray, scale: np.ndarray,
                 device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32):
        if config.objective not in ("vp", "vp-eps", "rf"):
            raise SpecError(f"unknown objective {config.objective!r}; use vp, vp-eps or rf",
                            key="objective")
        if not (isinstance(config.base, int) and 8 <= config.base <= 1024
                and config.base % 8 == 0):
            raise SpecError(f"the U-Net width must be a multiple of 8 from 8 to 1024, got "
                            f"{config.base!r}", key="--base")
        self.config, self.device, self.dtype = config, torch.device(device), dtype
        self.net = UNet(config.dim, config.channels, config.base, tuple(config.mults)).to(
            self.device, dtype)
        shape = (1, config.channels) + (1,) * config.dim
        self.shift = torch.as_tensor(np.asarray(shift, float).reshape(shape), dtype=dtype,
                                     device=self.device)
        self.scale = torch.as_tensor(np.asarray(scale, float).reshape(shape), dtype=dtype,
                                     device=self.device)
        vp = config.objective.startswith("vp")
        self.schedule = VPSchedule() if vp else RectifiedFlowSchedule()
        self.prediction = {"vp": "data", "vp-eps": "noise", "rf": "velocity"}[config.objective]
        self.t_start = 1.0 if vp else 0.999

    def __call__(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.net(x, t)

    def to_physical(self, z: torch.Tensor) -> torch.Tensor:
        return z * self.scale + self.shift

    def to_normal(self, u: torch.Tensor) -> torch.Tensor:
        return (u - self.shift) / self.scale

    def noise(self, n: int, grid_shape, seed: int = 0) -> torch.Tensor:
        g = torch.Generator(device="cpu").manual_seed(seed)
        z = torch.randn((n, self.config.channels, *grid_shape), generator=g, dtype=self.dtype)
        return z.to(self.device) * float(self.schedule.sigma(self.t_start))

    @torch.no_grad()
    def sample(self, n: int, grid_shape, method: str = "unipc", nfe: int = 20, seed: int = 0,
               **kw) -> torch.Tensor:
        """n unconditional fields in physical units, shape (n, channels, *grid_shape)."""
        x_T = self.noise(n, grid_shape, seed)
        x0 = sample(self, x_T, method, nfe, schedule=self.schedule, prediction=self.prediction,
                    t_start=self.t_start, **kw)
        return self.to_physical(x0)

    def state(self) -> dict:
        return {"config": asdict(self.config), "net": self.net.state_dict(),
                "shift": self.shift.cpu().reshape(-1), "scale": self.scale.cpu().reshape(-1)}

    @classmethod
    def load(cls, path: str | Path, device="cpu", dtype=torch.float32,
             key: str = "--checkpoint") -> Prior:
        """A prior from a checkpoint written by :func:`train_prior` (checked and loaded as
        plain tensors and values: see :mod:`pinnlab.checkpoint`)."""
        saved = ckpt.load(path, kind="prior", key=key)
        try:
            record = {**saved["stateful"]["prior"], "net": saved["module"]}
        except (KeyError, TypeError):
            raise DataError("checkpoint does not hold a prior of this version", file=str(path),
                            key=key) from None
        return cls.from_state(record, device, dtype, file=str(path), key=key)

    @classmethod
    def from_state(cls, ck: dict, device="cpu", dtype=torch.float32, *, file=None,
                   key="checkpoint") -> Prior:
        try:
            cfg = dict(ck["config"])
            cfg["mults"] = tuple(cfg["mults"])
            cfg["grid"] = tuple(cfg.get("grid", ()))
            prior = cls(PriorConfig(**cfg), ck["shift"].numpy(), ck["scale"].numpy(), device,
                        dtype)
            prior.net.load_state_dict(ck["net"])
        except (KeyError, TypeError, ValueError, RuntimeError, AttributeError):
            raise DataError("checkpoint does not hold a prior of this version", file=file,
                            key=key) from None
        return prior


def _noisy_batch(prior: Prior, x0: torch.Tensor, gen: torch.Generator):
    n = x0.shape[0]
    eps = torch.randn(x0.shape, generator=gen, dtype=x0.dtype).to(x0.device)
    if prior.config.objective.startswith("vp"):
        t = torch.rand(n, generator=gen, dtype=torch.float64) * (1 - 1e-3) + 1e-3
        a = torch.as_tensor(prior.schedule.alpha(t.numpy()), dtype=x0.dtype, device=x0.device)
        s = torch.as_tensor(prior.schedule.sigma(t.numpy()), dtype=x0.dtype, device=x0.device)
        shape = (n,) + (1,) * (x0.dim() - 1)
        target = x0 if prior.prediction == "data" else eps
        return a.reshape(shape) * x0 + s.reshape(shape) * eps, t.to(x0), target
    s = torch.rand(n, generator=gen, dtype=x0.dtype).to(x0.device)
    sv = s.reshape((n,) + (1,) * (x0.dim() - 1))
    return (1 - sv) * x0 + sv * eps, s, eps - x0


def train_prior(fields: np.ndarray, config: PriorConfig | None = None, *,
                checkpoint: str | Path | None = None, resume: bool = False,
                checkpoint_every: int = 500, progress: bool = True, device="cpu",
                dtype=torch.float32) -> tuple[Prior, list[float]]:
    """Train a prior on ``fields`` (n, channels, *grid) with the trainer (one Adam phase,
    cosine learning rate, a fresh minibatch and noise level every step); returns
    (prior, per-step losses). ``resume`` continues from ``checkpoint`` exactly."""
    fields = np.asarray(fields)
    config = replace(config or PriorConfig(), grid=tuple(fields.shape[2:]))
    if fields.ndim != config.dim + 2 or fields.shape[1] != config.channels:
        raise DataError(f"fields of shape {fields.shape} do not match a {config.dim}-D grid with "
                        f"{config.channels} channel(s)", key="fields")
    if not np.isfinite(fields).all():
        raise DataError("training fields contain NaN or infinite values", key="fields")
    axes = (0,) + tuple(range(2, fields.ndim))
    shift, scale = fields.mean(axis=axes), fields.std(axis=axes) + 1e-8
    prior = Prior(config, shift, scale, device, dtype)
    data = prior.to_normal(torch.as_tensor(fields, dtype=dtype, device=prior.device))
    gen = torch.Generator().manual_seed(config.seed)

    def losses() -> dict[str, torch.Tensor]:
        idx = torch.randint(0, data.shape[0], (config.batch,), generator=gen)
        x_t, t, target = _noisy_batch(prior, data[idx], gen)
        return {"denoise": ((prior(x_t, t) - target) ** 2).mean()}

    phase = Phase("adam", config.steps, lr=config.lr, schedule="cosine")
    trainer = Trainer(prior.net, losses, [phase], checkpoint_file=checkpoint, kind="prior",
                      checkpoint_every=checkpoint_every, log_every=1, progress=progress,
                      generators=[gen], stateful={"prior": _Record(prior)}, final_row=False)
    trainer.run(resume=bool(resume and checkpoint and Path(checkpoint).exists()))
    return prior, [row["loss"] for row in trainer.state.history]


class _Record:
    """What a checkpoint keeps besides the weights: configuration and normalisation."""

    ARCHITECTURE = ("objective", "dim", "channels", "base", "mults")

    def __init__(self, prior: Prior):
        self.prior = prior

    def state_dict(self) -> dict:
        state = self.prior.state()
        del state["net"]
        return state

    def load_state_dict(self, state: dict) -> None:
        mine = self.state_dict()["config"]
        if any(list(np.ravel(state["config"][k])) != list(np.ravel(mine[k]))
               for k in self.ARCHITECTURE):
            raise ValueError("another prior")
