"""The core tutorial notebook runs top to bottom at a small budget (its own asserts included)."""

import os

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("name", ["burgers_forward_inverse.ipynb", "metalic_bandit.ipynb",
                                  "flames_case2.ipynb", "flames_case3.ipynb"])
def test_tutorial_executes(name, monkeypatch):
    monkeypatch.setenv("PINNLAB_QUICK", "1")
    monkeypatch.setenv("PINNLAB_ROOT", ROOT)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    nb = nbformat.read(os.path.join(ROOT, "tutorials", name), as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": os.path.join(ROOT, "tutorials")}}).execute()
