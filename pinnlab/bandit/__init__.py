"""METALIC: contextual bandits with a GP reward model that choose the interface conditions of
multi-domain PINNs across a parametric PDE family (Li, Penwarden et al., ICML 2023).

Public entry points (they load their module on first use)::

    import pinnlab.bandit as metalic
    summary = metalic.learn("problems/metalic/advection.toml", rounds=10, heldout=10)
    rows = metalic.sweep("problems/metalic/advection.toml", conditions=["xpinn", "all"])
    metalic.INTERFACE_TERMS, metalic.PRESETS, metalic.interface_mask("xpinn")

Modules: :mod:`.api` (``learn``, ``sweep``), :mod:`.gp` (the reward model: gpytorch, RBF ×
Hamming product kernel), :mod:`.agent` (UCB, Thompson sampling and random policies, single- and
two-stage), :mod:`.trials` (one training as a picklable function for :mod:`pinnlab.runner`),
:mod:`.session` (warm-up, online rounds, held-out contexts, resumable state), :mod:`.report`
(tables, figures) and :mod:`.cli` (``pinnlab bandit`` and ``pinnlab sweep``).
"""

from __future__ import annotations

from pinnlab import lazy

__getattr__, __all__ = lazy.exports(__name__, {
    "learn": ".api", "sweep": ".api", "family_grid": ".api",
    "INTERFACE_TERMS": "..spec.decomposition", "PRESETS": "..spec.decomposition",
    "interface_mask": "..spec.decomposition:parse_interface_conditions",
})
