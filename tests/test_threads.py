"""The thread count of a run: one for small steps, by hand with ``threads``, restored after."""

import os

import torch

from pinnlab.threads import MANY_POINTS, choose, using


def test_small_steps_use_one_thread_and_large_ones_at_most_the_cores():
    assert choose(None, 1024) == 1
    n = choose(None, 4 * MANY_POINTS)
    assert 1 <= n <= (os.cpu_count() or 1)
    assert choose(3, 10) == 3


def test_using_restores_the_thread_count():
    before = torch.get_num_threads()
    with using(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
