"""The LPINN tutorial runs top to bottom (its own asserts: LPINN < 5e-2 < PINN at β = 50, the
learnt characteristics are x = X + 50 t to 1e-2)."""

import os

import nbformat
from nbclient import NotebookClient

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_lpinn_tutorial_executes(monkeypatch):
    monkeypatch.setenv("PINNLAB_ROOT", ROOT)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    nb = nbformat.read(os.path.join(ROOT, "tutorials", "lpinn_convection.ipynb"), as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": os.path.join(ROOT, "tutorials")}}).execute()
