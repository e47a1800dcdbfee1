"""METALIC: contextual bandits with a GP reward model that choose the interface conditions of
multi-domain PINNs across a parametric PDE family (Li, Penwarden et al., ICML 2023).

* :mod:`.gp` — the reward model (gpytorch, RBF × Hamming product kernel);
* :mod:`.agent` — UCB, Thompson sampling and random policies, single- and two-stage;
* :mod:`.trials` — one training as a picklable function for :mod:`pinnlab.runner`;
* :mod:`.session` — warm-up, online rounds, held-out contexts, resumable state;
* :mod:`.report`, :mod:`.cli` — tables, figures, ``pinnlab bandit`` and ``pinnlab sweep``.
"""
