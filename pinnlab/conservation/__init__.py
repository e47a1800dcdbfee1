"""ProbConserv on the generalized porous medium equation (GPME).

A probabilistic base model (attentive neural process or Gaussian process) predicts u ~ N(μ, Σ) on
a spatial grid at a time t; :mod:`pinnlab.conservation.update` conditions that Gaussian on the
integral form of the conservation law, ∫ u dx = U(t), so the updated mean conserves mass exactly.

The one-line path is ``pinnlab.solve(spec, method="probconserv")``
(:mod:`pinnlab.methods.probconserv`). The building blocks below are public for those who want
the steps one by one (``tutorials/probconserv.ipynb``); they load their module on first use,
so ``import pinnlab.conservation`` imports neither torch nor gpytorch.

Modules: ``problems`` (GPME setups from specs), ``data`` (function sampling), ``update``
(conditioning, HardC), ``mixture`` (conditioning the ANP's latent mixture), ``anp`` / ``gp``
(base models), ``metrics``, ``evaluate``. The family benchmark (many test functions per
parameter, SoftC, the latent-mixture update, shock positions) is ``results/probconserv/run.py``.
"""

from __future__ import annotations

from pinnlab import lazy

__getattr__, __all__ = lazy.exports(__name__, {
    "load_problem": ".problems", "sample_functions": ".data",
    "FamilyGaussianProcess": ".gp", "GPConfig": ".gp", "gp_slice": ".evaluate",
    "anp_slice": ".evaluate", "load_checkpoint": ".train",
    "conserve": ".update", "hard_constraint": ".update", "mass_constraint": ".update",
    "sample_conserved": ".update", "GaussianField": ".update",
    "mse": ".metrics", "conservation_error": ".metrics", "log_likelihood": ".metrics",
    "mean_and_stderr": ".metrics", "shock_position": ".metrics",
    "stefan_front": "..reference.gpme",
})
