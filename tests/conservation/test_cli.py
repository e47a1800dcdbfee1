"""``pinnlab conserve``: one-line errors with exit code 2, and a tiny end-to-end run."""

from __future__ import annotations

import json
from pathlib import Path

from pinnlab.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_missing_spec_is_one_line_error(capsys):
    assert main(["conserve", "no/such/spec.toml"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "spec file not found" in err[0]


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
