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

import importlib

_EXPORTS = {
    "learn": (".api", "learn"), "sweep": (".api", "sweep"),
    "family_grid": (".api", "family_grid"),
    "INTERFACE_TERMS": ("..spec.decomposition", "INTERFACE_TERMS"),
    "PRESETS": ("..spec.decomposition", "PRESETS"),
    "interface_mask": ("..spec.decomposition", "parse_interface_conditions"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        module, attr = _EXPORTS[name]
        return getattr(importlib.import_module(module, __name__), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
