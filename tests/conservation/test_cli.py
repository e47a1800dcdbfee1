"""ProbConserv from the command line (``pinnlab solve --method probconserv``): a trained ANP is
kept and reloads to the same field; files that are not checkpoints are one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from pinnlab.cli import main

ROOT = Path(__file__).resolve().parents[2]
SPEC = str(ROOT / "problems" / "gpme_diffusion.toml")
TINY = ["--method", "probconserv", "--option", "base=anp", "--option", "width=16",
        "--option", "n_latent=4", "--quiet"]


def test_missing_spec_is_one_line_error(capsys):
    assert main(["solve", "no/such/spec.toml", "--method", "probconserv"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "file not found" in err[0]


def test_saved_anp_reloads_and_bad_files_are_one_line(tmp_path, capsys):
    """The ANP a run trains is kept as anp.pt; a second run reading it predicts the same
    conserved field (same seed, same context) and still conserves mass exactly."""
    first, second = tmp_path / "a", tmp_path / "b"
    assert main(["solve", SPEC, *TINY, "--option", "adam_steps=5", "--out", str(first)]) == 0
    weights = first / "anp.pt"
    assert weights.exists()
    assert main(["solve", SPEC, *TINY, "--option", f"anp_checkpoint={weights}",
                 "--out", str(second)]) == 0
    a, b = (np.load(d / "solution.npz")["u"] for d in (first, second))
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    rows = json.loads((second / "metrics.json").read_text())["conservation"]
    assert rows["probconserv"]["ce"] < 1e-10 < rows["base"]["ce"]
    bad = tmp_path / "bad.pt"
    bad.write_text("not a checkpoint")
    capsys.readouterr()
    assert main(["solve", SPEC, *TINY, "--option", f"anp_checkpoint={bad}"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.pt" in err[0] and "checkpoint" in err[0]
