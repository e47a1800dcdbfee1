"""A finished solve's folder: reloaded with load_result / Result.load (predict works again, the
safe checkpoint loader guards it), history.csv and parameters.png, which conditions were exact."""

import csv
import json
import shutil

import numpy as np
import pytest

import pinnlab
from pinnlab.errors import DataError, SpecError
from pinnlab.result import relative_l2

POISSON = """
name = "poisson1d"
fields = ["u"]

[domain]
x = [0.0, 1.0]

[equations]
poisson = "u_xx + pi**2*sin(pi*x)"

[conditions.walls]
kind = "dirichlet"
field = "u"
on = "x"
value = 0.0

[reference]
solver = "exact"
u = "sin(pi*x)"
grid = { x = 201 }
"""

TINY = dict(width=8, depth=2, residual_points=64, compile=False, dtype="float64")


@pytest.fixture(scope="module")
def forward(tmp_path_factory):
    folder = tmp_path_factory.mktemp("forward")
    spec = folder / "poisson1d.toml"
    spec.write_text(POISSON)
    out = folder / "run"
    result = pinnlab.solve(str(spec), progress=False, out=str(out), adam_steps=60,
                           lbfgs_steps=10, **TINY)
    return result, out


def test_reloaded_result_predicts_as_the_original(forward):
    result, out = forward
    assert (out / "spec.toml").read_text() == (out.parent / "poisson1d.toml").read_text()
    again = pinnlab.load_result(out)
    same = pinnlab.Result.load(str(out))
    x = np.linspace(0.0, 1.0, 57)
    want = result.predict({"x": x})["u"]
    for res in (again, same):
        got = res.predict({"x": x})["u"]
        assert res.dtype == result.dtype and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=0)
        assert res.method == "pinn" and res.history == result.history
        assert res.metrics["rel_l2"] == result.metrics["rel_l2"]
    grid = np.linspace(0.0, 1.0, 201)  # the spec's reference grid
    rel = relative_l2(again.predict({"x": grid})["u"], np.sin(np.pi * grid))
    saved = json.loads((out / "metrics.json").read_text())["rel_l2"]
    assert rel == pytest.approx(saved, rel=1e-6)
    assert 0 < saved < 1


def test_reload_refuses_missing_or_foreign_files(forward, tmp_path):
    _, out = forward
    with pytest.raises(SpecError, match="no such output folder"):
        pinnlab.load_result(tmp_path / "nowhere")
    with pytest.raises(SpecError, match="metrics.json"):
        pinnlab.load_result(tmp_path)
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    (copy / "spec.toml").unlink()
    with pytest.raises(SpecError, match="spec.toml"):
        pinnlab.load_result(copy)
    shutil.copy(out / "spec.toml", copy / "spec.toml")
    metrics = json.loads((copy / "metrics.json").read_text())
    metrics["config"]["width"] = 9  # another network than the checkpoint's
    (copy / "metrics.json").write_text(json.dumps(metrics))
    with pytest.raises(DataError, match="belongs to another run"):
        pinnlab.load_result(copy)
    shutil.copy(out / "metrics.json", copy / "metrics.json")
    data = bytearray((copy / "checkpoint.pt").read_bytes())
    data[-10] ^= 1
    (copy / "checkpoint.pt").write_bytes(bytes(data))
    with pytest.raises(DataError, match="checksum"):
        pinnlab.load_result(copy)
    (copy / "metrics.json").write_text("{not json")
    with pytest.raises(SpecError, match="metrics.json: not valid JSON"):
        pinnlab.load_result(copy)


def test_forward_conditions_in_metrics(forward):
    _, out = forward
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["conditions"] == [{
        "name": "walls", "kind": "dirichlet", "field": "u", "status": "exact",
        "reason": "built into the network's output (hard constraint)"}]
    assert not (out / "parameters.png").exists()  # no unknown parameters


def test_inverse_history_csv_and_parameter_figure(tmp_path):
    out = tmp_path / "inverse"
    # 60 Adam steps, logged every 50: rows at steps 0 and 50, then the final state (step 60)
    result = pinnlab.solve("problems/burgers_inverse.toml", progress=False, out=str(out),
                           adam_steps=60, lbfgs_steps=0, evaluate=False, **TINY)
    with open(out / "history.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    assert header[:2] == ["step", "loss"] and {"equations.burgers", "data", "nu"} <= set(header)
    assert "phase" not in header  # numbers only
    assert len(body) == len(result.history) == 3
    assert [int(r[0]) for r in body] == [h["step"] for h in result.history] == [0, 50, 60]
    nu = [float(r[header.index("nu")]) for r in body]
    assert nu[0] == pytest.approx(0.05, rel=1e-9)  # the spec's guess
    assert nu[-1] == pytest.approx(result.metrics["params"]["nu"], rel=1e-6)
    assert (out / "parameters.png").stat().st_size > 1000
    assert (out / "solution.png").stat().st_size > 1000
    # the observations' file is read again from the spec's own folder
    again = pinnlab.load_result(out)
    assert again.metrics["params"]["nu"] == result.metrics["params"]["nu"]
    assert len(again.problem.observations) == len(result.problem.observations)


def test_parameter_figure_draws_the_true_value_dashed(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pinnlab.plots import parameter_figure

    result = pinnlab.solve("problems/burgers_inverse.toml", progress=False, adam_steps=51,
                           lbfgs_steps=0, evaluate=False, **TINY)
    fig = parameter_figure(result, plt)
    (ax,) = fig.axes
    dashed = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert len(dashed) == 1
    assert dashed[0].get_ydata()[0] == pytest.approx(0.0031830988618379067)
    plt.close(fig)


def test_python_problem_is_not_reloadable(tmp_path):
    problem = pinnlab.load("problems/burgers.toml")
    problem.source = "<python>"
    out = tmp_path / "py"
    pinnlab.solve(problem, progress=False, out=str(out), adam_steps=1, lbfgs_steps=0,
                  evaluate=False, **TINY)
    assert not (out / "spec.toml").exists()
    with pytest.raises(SpecError, match="built in Python"):
        pinnlab.load_result(out)
