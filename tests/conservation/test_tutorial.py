"""The ProbConserv tutorial executes end to end and its update conserves mass (slow: ~20-40 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_tutorial_notebook_executes(monkeypatch):
    monkeypatch.setenv("PINNLAB_QUICK", "1")
    monkeypatch.setenv("PINNLAB_ROOT", str(ROOT))
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(ROOT / "tutorials" / "probconserv.ipynb", as_version=4)
    nbclient.NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "tutorials")}},
    ).execute()
    text = "".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    line = next(s for s in text.splitlines() if s.startswith("every sample conserves mass"))
    assert float(line.split(":")[1]) < 1e-10
    anp = next(s for s in text.splitlines() if s.startswith("ANP probconserv"))
    assert float(anp.split("|CE|")[1].split()[0]) < 1e-10  # the GPU-trained ANP, updated
    base = next(s for s in text.splitlines() if s.startswith("ANP base"))
    assert float(anp.split("MSE")[1].split()[0]) < float(base.split("MSE")[1].split()[0])
