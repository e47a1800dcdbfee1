import numpy as np
import pytest
import torch

from pinnlab.generative.mixture import benchmark_mixture

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def mixture_problem():
    """A 2-D five-component mixture, 32 start points at sigma_tilde = 80 and their exact
    endpoints."""
    gm = benchmark_mixture(dim=2, seed=0)
    rng = np.random.default_rng(1)
    x0 = gm.sample(32, rng)
    sigma_start = 80.0
    y_start = x0 + sigma_start * rng.standard_normal(x0.shape)
    return gm, y_start, sigma_start, gm.ode_endpoint(y_start, sigma_start)
