"""Generative priors for PDE fields: noise schedules, fast ODE samplers, an analytic
Gaussian-mixture test problem, adjoint gradients through samplers, U-Net priors and guided
reconstruction from sparse data.

The public names below load their module on first use, so ``import pinnlab.generative`` stays
cheap (no torch). Build a training set from a spec's family (:func:`family_dataset`), train a
prior with :func:`train_prior` (or ``pinnlab prior train``), sample it with
:meth:`Prior.sample`; reconstruct a field from a spec's ``[observations]`` with
``pinnlab.solve(spec, method="prior", checkpoint=...)`` (:mod:`pinnlab.methods.prior`).
"""

from __future__ import annotations

from pinnlab import lazy

__getattr__, __all__ = lazy.exports(__name__, {
    "FieldDataset": ".datasets", "family_dataset": ".datasets", "final_profiles": ".datasets",
    "Prior": ".prior", "PriorConfig": ".prior", "train_prior": ".prior",
    "sample": ".sampling",
})
