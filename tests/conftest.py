"""Test configuration: one torch thread per test process (the CI machine has 2 cores; several
threads per process oversubscribe them and make small problems far slower), and runs from the
repository root so that spec paths like ``problems/burgers.toml`` resolve; ``PINNLAB_QUICK`` from
the caller's environment does not shrink the budgets tests set."""

import os

import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("PINNLAB_QUICK", raising=False)  # budgets as each test sets them
