"""Generative priors for PDE fields: noise schedules, fast ODE samplers, an analytic
Gaussian-mixture test
problem, adjoint gradients through samplers, U-Net priors and guided reconstruction from sparse
data.

Heavy modules (torch) are imported by the submodules, not here: ``import pinnlab.generative`` stays
cheap.
Entry points: :func:`pinnlab.generative.sampling.sample`, :mod:`pinnlab.generative.mixture`.
"""
