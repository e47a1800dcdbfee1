"""One torch thread in these tests: a shared 2-core machine, where OpenMP spin-waits."""

import pytest


@pytest.fixture(autouse=True)
def _one_torch_thread():
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
