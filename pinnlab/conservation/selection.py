"""Downstream checkpoint scores: choose ANP weights by what the ProbConserv posterior is used for.

The training likelihood need not track a downstream quantity: on Stefan, a fine-tune that
improved the validation NLL moved the conserved posterior's shock position away from the exact
front, while the checkpoint with the best score met the 2 % figure on the untouched test
functions (`results/probconserv/README.md`). :func:`shock_score` returns a function of a model that
measures exactly that on a validation split (family parameters inside the training range, away
from the test values; fixed functions from their own seed), for :class:`TrainConfig`'s
``val_score``:

    score(model) = mean over functions of |x̂ - x*| / x*,

with x̂ the mean over ``n_samples`` draws of the ProbConserv (σ_G → 0) posterior of the first
grid cell where u ≤ 0 (its midpoint), and x* = α √t the exact front.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from pinnlab.conservation import metrics
from pinnlab.conservation.data import sample_functions
from pinnlab.conservation.evaluate import anp_slice
from pinnlab.conservation.problems import GPMEProblem
from pinnlab.conservation.update import mass_constraint, sample_conserved
from pinnlab.errors import SpecError

STEFAN_VALIDATION = (0.56, 0.59, 0.62, 0.65, 0.68)  # u* inside the training range, not 0.6


def shock_score(problem: GPMEProblem, values: Sequence[float], n_per_value: int = 10,
                n_samples: int = 200, n_latent: int = 50, seed: int = 4242
                ) -> Callable[[torch.nn.Module], float]:
    """A scorer (lower is better) of an ANP's conserved shock position on fixed functions."""
    if problem.family != "stefan":
        raise SpecError(f"the shock score needs the Stefan family, not {problem.family!r}",
                        key="family")
    from pinnlab.reference.gpme import stefan_front

    t, x = problem.eval_time, problem.x_grid()
    rng = np.random.default_rng(seed)
    sets = []
    for p in values:
        g, b = mass_constraint(problem, t, torch.as_tensor(x), p)
        sets.append((sample_functions(problem, n_per_value, rng, params=p),
                     g, b.expand(n_per_value), float(stefan_front(t, p))))

    def score(model: torch.nn.Module) -> float:
        was_training = model.training
        model.eval()
        errors = []
        for batch, g, b, exact in sets:
            mean, var = anp_slice(model, problem, batch, x, t, n_latent=n_latent, seed=seed)
            gen = torch.Generator().manual_seed(seed)
            draws = sample_conserved(mean, var, g, b, n_samples, 0.0, gen)
            pos, _, _ = metrics.shock_posterior(*metrics.shock_position(draws, x))
            errors.append(np.abs(pos - exact) / exact)
        model.train(was_training)
        return float(np.mean(np.concatenate(errors)))

    return score
