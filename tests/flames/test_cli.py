"""Flames through the one CLI: ``pinnlab solve`` on a flame spec scores s_L against its
reference."""

import json

import pytest

from pinnlab.cli import main


def _run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_case1_is_a_core_spec_solved_by_the_cli(tmp_path, capsys):
    """Case 1 runs through ``pinnlab solve`` like every spec: s_L is scored against the
    shooting reference."""
    import os

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    spec = os.path.join(root, "problems", "flames", "case1_forward.toml")
    code, out, _ = _run(["solve", spec, "--steps", "50", "--lbfgs-steps", "10", "--quiet",
                         "--option", "warmup_steps=50", "--out", str(tmp_path / "o")], capsys)
    assert code == 0
    metrics = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert metrics["params_true"]["s_L"] == pytest.approx(0.29293, abs=5e-6)
    assert set(metrics["params_rel_error"]) == {"s_L"}

