"""``pinnlab flame``: bad input gives one line and exit code 2; a good case runs."""

import json

import pytest

from pinnlab.cli import main

GOOD = """
[case]
kind = "simple"
mode = "forward"
[flame]
phi = 0.42
pressure_atm = 1.0
T_in = 298.0
"""


def _run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("text, message", [
    (GOOD + "[temperature_bounds]\nlower = 290.0\nupper = 3000.0\n", "exclude"),
    (GOOD + "[temperature_bounds]\nlower = 350.0\nupper = 6000.0\n", "exclude"),
    (GOOD.replace('"simple"', '"plasma"'), "unknown kind"),
    (GOOD.replace("phi = 0.42", "phi = -1.0"), "positive"),
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


def test_reference_command_prints_flame_speed(tmp_path, capsys):
    path = tmp_path / "case.toml"
    path.write_text(GOOD)
    code, out, _ = _run(["flame", "reference", str(path), "--out", str(tmp_path / "o")], capsys)
    assert code == 0
    assert json.loads(out)["s_L"] == pytest.approx(0.29293, abs=5e-6)
    assert (tmp_path / "o" / "solution.npz").exists()


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
