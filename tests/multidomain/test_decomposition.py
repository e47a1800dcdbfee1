"""Decomposition geometry, interface-condition parsing and bad input (exit code 2, one line)."""

import os
import subprocess
import sys

import pytest

import pinnlab
from pinnlab.errors import SpecError
from pinnlab.spec.decomposition import (
    INTERFACE_TERMS,
    Decomposition,
    mask_string,
    parse_interface_conditions,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BURGERS = os.path.join(ROOT, "problems", "metalic", "burgers.toml")


def test_strip_gives_two_subdomains_and_two_faces():
    pb = pinnlab.load(BURGERS)
    subs, faces = pb.decomposition.geometry(pb.domain)
    assert len(subs) == 2
    outside, inside = subs
    assert [b["x"] for b in outside] == [(-1.0, -0.1), (0.1, 1.0)]
    assert inside == [{"x": (-0.1, 0.1), "t": (0.0, 1.0)}]
    assert sorted((f.a, f.b, f.normal, f.position) for f in faces) == [
        (0, 1, "x", -0.1), (1, 0, "x", 0.1)]
    assert all(f.extent["t"] == (0.0, 1.0) for f in faces)


def test_split_lines_make_a_grid():
    d = Decomposition(split=["x = 0.5", "y = 0.25", "y = 0.75"])
    subs, faces = d.geometry({"x": (0.0, 1.0), "y": (0.0, 1.0)})
    assert len(subs) == 6
    # 3 faces normal to x (between the two columns) + 2 x 2 faces normal to y
    assert sorted(f.normal for f in faces) == ["x"] * 3 + ["y"] * 4
    area = sum((b["x"][1] - b["x"][0]) * (b["y"][1] - b["y"][0]) for s in subs for b in s)
    assert area == pytest.approx(1.0)


@pytest.mark.parametrize("spec, expected", [
    ("xpinn", "010100000"), ("cpinn", "010010000"), ("all", "111111111"), ("none", "0" * 9),
    ("101000001", "101000001"), (["flux_continuity", "dx_continuity"], "000010010"),
    ([1, 0, 0, 0, 0, 0, 0, 0, 1], "100000001"),
])
def test_interface_condition_specs(spec, expected):
    assert mask_string(parse_interface_conditions(spec)) == expected


@pytest.mark.parametrize("kwargs, key, words", [
    ({"split": ["x = 2"]}, "decomposition.split", "outside"),
    ({"split": ["z = 0.5"]}, "decomposition.split", "unknown coordinate"),
    ({"split": ["x = 0.5", "x = 0.5000000000000001"]}, "decomposition", "empty"),
    ({"strip": "|x| < 5"}, "decomposition.strip", "whole domain"),
    ({"strip": "|x - 3| < 0.1"}, "decomposition.strip", "does not intersect"),
    ({"split": ["x = 0.5"], "interface_conditions": "xpinn,glue"},
     "decomposition.interface_conditions", "unknown interface term"),
    ({}, "decomposition", "split lines"),
])
def test_bad_decompositions(kwargs, key, words):
    with pytest.raises(SpecError) as err:
        pinnlab.Problem(name="p", domain={"x": (0.0, 1.0), "t": (0.0, 1.0)}, fields=["u"],
                        equations={"heat": "u_t - u_xx"}, decomposition=Decomposition(**kwargs))
    assert err.value.key == key and words in str(err.value)


def test_nine_terms_in_metalic_order():
    assert INTERFACE_TERMS[1] == "average_solution" and INTERFACE_TERMS[3] == \
        "residual_continuity" and len(INTERFACE_TERMS) == 9


@pytest.mark.parametrize("edit, key", [
    (('strip = "|x| < 0.1"', 'split = ["x = 1.5"]'), "decomposition.split"),
    (('interface_conditions = "xpinn"', 'interface_conditions = "glue"'),
     "decomposition.interface_conditions"),
])
def test_cli_bad_decomposition_exit_code_2(tmp_path, edit, key):
    text = open(BURGERS).read()
    assert edit[0] in text
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace(*edit))
    proc = subprocess.run([sys.executable, "-m", "pinnlab", "sweep", str(bad)],
                          capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": ROOT})
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and key in lines[0] and "bad.toml" in lines[0]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "pinnlab", *args], capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": ROOT})


def test_cli_ray_address_that_does_not_answer():
    proc = _cli("bandit", BURGERS, "--backend", "ray", "--address", "127.0.0.1:1",
                "--rounds", "0", "--warmup", "1", "--heldout", "1")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "--address" in lines[0] and "127.0.0.1:1" in lines[0]


def test_cli_sweep_runs_and_writes_a_table(tmp_path):
    spec = os.path.join(ROOT, "problems", "metalic", "heat.toml")
    proc = _cli("sweep", spec, "--param", "a=-1:1:2", "--param", "b=0:0:1", "--param",
                "c=1:1:1", "--param", "d=0:0:1", "--conditions", "xpinn,100000000",
                "--adam-steps", "20", "--lbfgs-steps", "5", "--option", "residual_points=64",
                "--workers", "1", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    table = (tmp_path / "table.md").read_text().splitlines()
    assert len(table) == 2 + 2 and "xpinn" in table[0] and "100000000" in table[0]
    assert (tmp_path / "sweep.png").exists()
