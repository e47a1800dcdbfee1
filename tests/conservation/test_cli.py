"""``pinnlab conserve``: one-line errors with exit code 2, and a tiny end-to-end run."""

from __future__ import annotations

import json
from pathlib import Path

from pinnlab.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_missing_spec_is_one_line_error(capsys):
    assert main(["conserve", "no/such/spec.toml"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "file not found" in err[0]


def test_bad_budget_is_rejected(capsys):
    spec = str(ROOT / "problems" / "gpme_pme.toml")
    assert main(["conserve", spec, "--n-test", "1"]) == 2


def test_tiny_gp_run_conserves_mass(tmp_path):
    out = tmp_path / "rows.json"
    spec = str(ROOT / "problems" / "gpme_diffusion.toml")
    code = main(["conserve", spec, "--gp-iters", "5", "--n-test", "3", "--json", str(out)])
    assert code == 0
    rows = json.loads(out.read_text())["rows"]
    pc = [r for r in rows if r["method"] == "probconserv"]
    assert len(pc) == 2 and all(r["ce_max"] <= 1e-10 for r in pc)
    base = [r for r in rows if r["method"] == "base"]
    assert all(r["ce"] > 1e-8 for r in base)


def test_saved_anp_reloads_and_bad_weights_are_one_line(tmp_path, capsys):
    """--save writes the trained ANP; --weights evaluates it to the same rows; a file that is
    not a checkpoint is a one-line error naming the file."""
    spec = str(ROOT / "problems" / "gpme_diffusion.toml")
    weights, first, second = tmp_path / "anp.pt", tmp_path / "a.json", tmp_path / "b.json"
    common = ["--n-test", "3", "--hidden", "16"]
    assert main(["conserve", spec, "--model", "anp", "--steps", "5", "--save", str(weights),
                 "--json", str(first), *common]) == 0
    assert main(["conserve", spec, "--weights", str(weights), "--json", str(second), *common]) == 0
    rows_a, rows_b = (json.loads(f.read_text())["rows"] for f in (first, second))
    assert [r["mse"] for r in rows_a] == [r["mse"] for r in rows_b]
    bad = tmp_path / "bad.pt"
    bad.write_text("not a checkpoint")
    capsys.readouterr()
    assert main(["conserve", spec, "--weights", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.pt" in err[0] and "checkpoint" in err[0]
