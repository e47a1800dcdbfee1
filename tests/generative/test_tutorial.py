"""The generative-prior tutorial runs end to end and guided reconstruction beats the prior."""

import re
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "tutorials" / "generative_prior.ipynb"


@pytest.mark.slow
def test_tutorial_runs_and_guidance_helps():
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []))
    guided, free = map(float, re.search(r"guided ([\d.]+), unguided prior mean ([\d.]+)",
                                        text).groups())
    assert guided < free
