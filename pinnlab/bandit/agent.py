"""Contextual bandits that choose interface conditions (METALIC).

An arm is a 9-bit interface mask (all 512 of ``{0, 1}⁹``), a context is the PDE's family
parameters. Policies:

* ``ucb``: ``argmax_w μ(s, w) + β σ(s, w)`` under the GP reward model;
* ``ts``: Thompson sampling, the argmax of one joint draw from the posterior over all 512 arms;
* ``random``: a uniformly random arm (the baseline).

The **single-stage** agent uses one GP on ``(s, w)`` with reward ``−log10(rel. L2)``. The
**two-stage** agent picks ``w₁`` for the Adam phase and, after seeing the reward ``r₁`` at its
end, ``w₂`` for L-BFGS: GP₁ on ``(s, w₁)`` with target ``(r₁ + γ r₂)/(1 + γ)`` (discounted mean of
the rewards that follow), GP₂ on ``([r₁, s], w₂)`` with target ``r₂``. Held-out contexts are
decided by the posterior mean (``best``). The agent's whole state is plain JSON.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch

from .gp import RewardModel

ARMS = np.array(list(itertools.product([0, 1], repeat=9)), dtype=float)
POLICIES = ("ucb", "ts", "random")


def reward(error: float, cap: float = 100.0) -> float:
    """``−log10(error)`` with NaN, inf and errors above ``cap`` counted as ``cap``."""
    if not math.isfinite(error) or error > cap:
        error = cap
    return -math.log10(max(error, 1e-16))


class ContextSpace:
    """The family's parameter box; ``standardise`` maps it to ``[−1, 1]`` per parameter, in
    log scale for a positive range spanning more than a decade (e.g. ``ν ∈ [0.001, 0.05]``)."""

    def __init__(self, ranges: dict[str, tuple[float, float]]):
        self.names = list(ranges)
        self.lo = np.array([ranges[k][0] for k in self.names], float)
        self.hi = np.array([ranges[k][1] for k in self.names], float)
        self.log = (self.lo > 0) & (self.hi / np.where(self.lo > 0, self.lo, 1) > 10)

    def sample(self, rng: np.random.Generator, n: int) -> list[dict[str, float]]:
        u = rng.random((n, len(self.names)))
        lo = np.where(self.log, np.log(np.where(self.log, self.lo, 1)), self.lo)
        hi = np.where(self.log, np.log(np.where(self.log, self.hi, 1)), self.hi)
        v = lo + (hi - lo) * u
        v = np.where(self.log, np.exp(v), v)
        return [dict(zip(self.names, map(float, row))) for row in v]

    def standardise(self, context: dict[str, float]) -> np.ndarray:
        v = np.array([context[k] for k in self.names], float)
        lo, hi = self.lo.copy(), self.hi.copy()
        v, lo, hi = (np.where(self.log, np.log(np.where(self.log, a, 1)), a) for a in (v, lo, hi))
        return 2 * (v - lo) / (hi - lo) - 1


class Bandit:
    """One policy's agent; ``history`` holds its observations (JSON-able)."""

    def __init__(self, space: ContextSpace, policy: str = "ucb", *, beta: float = 1.0,
                 two_stage: bool = False, gamma: float = 0.9, seed: int = 0,
                 gp_iters: int = 150):
        if policy not in POLICIES:
            raise ValueError(f"policy must be one of {POLICIES}")
        self.space, self.policy, self.beta = space, policy, beta
        self.two_stage, self.gamma, self.seed, self.gp_iters = two_stage, gamma, seed, gp_iters
        self.history: list[dict] = []
        self.rng = np.random.default_rng(seed)
        self._models: dict[str, RewardModel] = {}
        self._warm: dict[str, dict] = {}  # last fitted hyper-parameters per stage

    # ---- data ------------------------------------------------------------------------
    def observe(self, context: dict, arm, r: float, *, arm2=None, r1: float | None = None
                ) -> None:
        """Record a finished trial (two-stage: ``arm``/``r1`` for Adam, ``arm2``/``r`` final)."""
        row = {"context": dict(context), "arm": [int(b) for b in arm], "reward": float(r)}
        if self.two_stage:
            row.update(arm2=[int(b) for b in arm2], reward1=float(r1))
        self.history.append(row)
        self._warm.update({k: m.state_dict() for k, m in self._models.items()})
        self._models.clear()

    def _inputs(self, context: dict, arms: np.ndarray, lead: list[float] = ()) -> np.ndarray:
        s = np.concatenate([list(lead), self.space.standardise(context)])
        return np.concatenate([np.repeat(s[None], len(arms), 0), arms], 1)

    def _model(self, stage: str) -> RewardModel | None:
        if not self.history:
            return None
        if stage not in self._models:
            h = self.history
            if stage == "1":
                x = np.concatenate([self._inputs(r["context"], np.array([r["arm"]], float))
                                    for r in h])
                y = [r["reward"] if not self.two_stage else
                     (r["reward1"] + self.gamma * r["reward"]) / (1 + self.gamma) for r in h]
                n_ctx = len(self.space.names)
            else:
                x = np.concatenate([self._inputs(r["context"], np.array([r["arm2"]], float),
                                                 [r["reward1"]]) for r in h])
                y = [r["reward"] for r in h]
                n_ctx = len(self.space.names) + 1
            warm = self._warm.get(stage)
            self._models[stage] = RewardModel(
                torch.tensor(x), torch.tensor(y), n_ctx, seed=self.seed + len(h), init=warm,
                iters=self.gp_iters if warm is None else max(self.gp_iters // 3, 1))
        return self._models[stage]

    # ---- decisions -------------------------------------------------------------------
    def choose(self, context: dict) -> tuple[int, ...]:
        """The arm for an online round (single stage, or the Adam stage of two)."""
        return self._decide(self._model("1"), self._inputs(context, ARMS), self.policy)

    def choose_second(self, context: dict, r1: float) -> tuple[int, ...]:
        """The L-BFGS-stage arm after the Adam stage scored ``r1`` (two-stage only)."""
        return self._decide(self._model("2"), self._inputs(context, ARMS, [r1]), self.policy)

    def best(self, context: dict, r1: float | None = None) -> tuple[int, ...]:
        """The posterior-mean choice for a held-out context (``r1``: second stage)."""
        if r1 is None:
            return self._decide(self._model("1"), self._inputs(context, ARMS), "mean")
        return self._decide(self._model("2"), self._inputs(context, ARMS, [r1]), "mean")

    def _decide(self, model: RewardModel | None, x: np.ndarray, rule: str) -> tuple[int, ...]:
        if rule == "random" or model is None:
            return tuple(int(b) for b in ARMS[self.rng.integers(len(ARMS))])
        mean, cov = model.posterior(torch.tensor(x))
        if rule == "ucb":
            score = mean + self.beta * cov.diagonal().clamp_min(0).sqrt()
        elif rule == "ts":
            jitter = 1e-6 * float(cov.diagonal().mean().clamp_min(1e-12))
            eye = torch.eye(len(mean), dtype=cov.dtype)
            chol, info = torch.linalg.cholesky_ex(cov + jitter * eye)
            if int(info):  # numerically singular: the symmetric square root instead
                w, v = torch.linalg.eigh(cov)
                chol = v * w.clamp_min(0).sqrt()
            z = torch.as_tensor(self.rng.standard_normal(len(mean)), dtype=cov.dtype)
            score = mean + chol @ z
        else:
            score = mean
        return tuple(int(b) for b in ARMS[int(torch.argmax(score))])

    # ---- state -------------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {"policy": self.policy, "beta": self.beta, "two_stage": self.two_stage,
                "gamma": self.gamma, "seed": self.seed, "history": self.history,
                "rng": self.rng.bit_generator.state,
                "warm": {k: {n: v.tolist() for n, v in w.items()}
                         for k, w in self._warm.items()}}

    def load_state_dict(self, state: dict) -> None:
        self.history = list(state["history"])
        self.rng.bit_generator.state = state["rng"]
        self._warm = {k: {n: torch.tensor(v, dtype=torch.float64) for n, v in w.items()}
                      for k, w in state.get("warm", {}).items()}
        self._models.clear()
