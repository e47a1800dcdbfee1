"""ProbConserv on the generalized porous medium equation (GPME).

A probabilistic base model (attentive neural process or Gaussian process) predicts u ~ N(μ, Σ) on
a spatial grid at a time t; :mod:`pinnlab.conservation.update` conditions that Gaussian on the
integral form of the conservation law, ∫ u dx = U(t), so the updated mean conserves mass exactly.

Modules: ``problems`` (GPME setups, TOML), ``data`` (function sampling), ``update`` (conditioning,
HardC), ``mixture`` (conditioning the ANP's latent mixture), ``anp`` / ``gp`` (base models),
``metrics``, ``evaluate``, ``cli``. Heavy dependencies (torch, gpytorch) are imported by the
submodules that need them, not here.
"""
