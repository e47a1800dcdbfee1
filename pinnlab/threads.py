"""How many CPU threads a run uses.

torch's default intra-op pool has one thread per core, and its threads spin-wait for each other.
Measured on a 2-core CPU (``results/speed/threads.md``, the Burgers PINN's Adam step): idle, a
second thread gains nothing at 1024 residual points and 1.5–1.7× from 4096 points on; with two
busy neighbour processes, two threads are slower at every size (2.4× at 1024 points, 1.5× at
16 384). So a CPU run uses one thread below 4096 points, and above it the cores that are idle
now (the one-minute load average); ``threads = N`` (``--threads N``) decides it by hand.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

#: residual points per step from which a CPU run uses more than one thread
MANY_POINTS = 4096


def choose(requested: int | None, points: int, device: str = "cpu") -> int:
    """The thread count for a run: ``requested`` if given, else one below ``MANY_POINTS``
    points, else the idle cores (at least one)."""
    import torch

    if requested:
        return int(requested)
    if not device.startswith("cpu"):
        return torch.get_num_threads()
    if points < MANY_POINTS:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return max(1, min(cores or 1, int(round((cores or 1) - load))))


@contextmanager
def using(n: int) -> Iterator[int]:
    """Run the block with ``n`` intra-op threads, then restore the previous count."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield n
    finally:
        torch.set_num_threads(before)
