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


INLET = """
[domain]
x = [0.0, 0.002]

[fields]
T = {}
Y = { species = ["H2", "H", "O", "O2", "OH", "H2O", "HO2", "H2O2", "AR", "N2"] }

[equations]
energy = "cp*T_xx"

[plugins.gas]
kind = "cantera"
mechanism = "h2o2.yaml"
inlet = { T = 300.0, phi = 1.0, fuel = "H2:1" }
"""


@pytest.mark.parametrize("change, message", [
    (('"H2:1"', '"H3:1"'), "unknown species"),
    (('fuel = "H2:1"', 'fuel = "H2:1", composition = "H2:2, O2:1"'), "not both"),
    (('"H2:1"', '"N2:1"'), "fuel"),
    (('phi = 1.0, fuel = "H2:1"', 'composition = "H2:-1, O2:1"'), "non-negative"),
    (("phi = 1.0", "phi = -1.0"), "plugins.gas.inlet.phi"),
])
def test_bad_inlet_is_one_line_exit_2(tmp_path, capsys, change, message):
    pytest.importorskip("cantera")
    path = tmp_path / "flame.toml"
    path.write_text(INLET.replace(*change))
    code, out, err = _run(["check", str(path)], capsys)
    assert code == 2
    assert err.count("\n") == 1 and message in err and "plugins.gas" in err and str(path) in err
