"""``pinnlab flame``: bad input gives one line and exit code 2; a good case runs."""

import json

import pytest

from pinnlab.cli import main

GOOD = """
[case]
kind = "detailed"
mode = "forward"
[flame]
mechanism = "h2o2.yaml"
phi = 1.0
fuel = "H2:1"
"""


def _run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("text, message", [
    (GOOD.replace('"detailed"', '"plasma"'), "unknown kind"),
    (GOOD.replace('"detailed"', '"simple"'), "unknown kind"),
    (GOOD.replace("phi = 1.0", "phi = -1.0"), "positive"),
    (GOOD + "colour = 3\n", "unknown key"),
    (GOOD.replace("[flame]", "[flam]"), "unknown key 'flam'"),
])
def test_bad_case_is_one_line_exit_2(tmp_path, capsys, text, message):
    path = tmp_path / "case.toml"
    path.write_text(text)
    code, out, err = _run(["flame", "reference", str(path)], capsys)
    assert code == 2
    assert err.count("\n") == 1 and message in err and str(path) in err


def test_missing_case_file(tmp_path, capsys):
    code, _, err = _run(["flame", "reference", str(tmp_path / "nope.toml")], capsys)
    assert code == 2 and "not found" in err


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


DETAILED = """
[case]
kind = "detailed"
[flame]
mechanism = "h2o2.yaml"
phi = 1.0
fuel = "H2:1"
"""


@pytest.mark.parametrize("text, message", [
    (DETAILED.replace('"H2:1"', '"H3:1"'), "unknown species"),
    (DETAILED.replace("h2o2.yaml", "no_such_mechanism.yaml"), "mechanism"),
    (DETAILED + 'composition = "H2:2, O2:1"\n', "not both"),
    (DETAILED.replace('"H2:1"', '"N2:1"'), "inconsistent"),
    (DETAILED.replace('"H2:1"', '"H2:-1"'), "non-negative"),
])
def test_bad_detailed_input_is_one_line_exit_2(tmp_path, capsys, text, message):
    pytest.importorskip("cantera")
    path = tmp_path / "case.toml"
    path.write_text(text)
    code, out, err = _run(["flame", "reference", str(path)], capsys)
    assert code == 2
    assert err.count("\n") == 1 and message in err
