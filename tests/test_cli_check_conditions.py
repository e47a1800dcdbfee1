"""``pinnlab check`` says which conditions are imposed exactly (hard constraints) and why the
others are soft; the same list goes into metrics.json (tests/test_api_results.py)."""

import pytest

from pinnlab.api import prepare
from pinnlab.cli import main
from pinnlab.methods.exactness import report

ONE_D = """
name = "rod"
fields = ["u"]

[domain]
x = [0.0, 1.0]

[equations]
rod = "u_xx + 1"

[conditions.left]
kind = "dirichlet"
field = "u"
on = "x = 0"
value = 0.0

[conditions.right]
kind = "neumann"
field = "u"
on = "x = max"
value = 0.0
"""

WALLS = "\n".join(f"""
[conditions.{name}]
kind = "dirichlet"
field = "u"
on = "{where}"
value = 0.0
""" for name, where in (("left", "x = 0"), ("right", "x = 1"), ("bottom", "y = 0"),
                        ("top", "y = 1")))

TWO_D = """
name = "plate"
fields = ["u"]

[domain]
x = [0.0, 1.0]
y = [0.0, 1.0]

[equations]
poisson = "u_xx + u_yy + 1"
""" + WALLS


def _conditions(out: str) -> dict[str, str]:
    return {line.split()[1]: line.split(": ", 1)[1] for line in out.splitlines()
            if line.startswith("  condition ")}


def test_one_d_dirichlet_exact_neumann_soft(tmp_path, capsys):
    spec = tmp_path / "rod.toml"
    spec.write_text(ONE_D)
    assert main(["check", str(spec)]) == 0
    found = _conditions(capsys.readouterr().out)
    assert found["left"].startswith("exact — built into the network's output")
    assert found["right"].startswith("soft — neumann: a penalty term")
    assert main(["check", str(spec), "--option", "hard_constraints=false"]) == 0
    found = _conditions(capsys.readouterr().out)
    assert found["left"] == "soft — hard_constraints = false"
    assert main(["check", str(spec), "--method", "multidomain"]) != 0  # needs [decomposition]
    capsys.readouterr()


def test_two_d_walls_exact_when_one_constant_soft_otherwise(tmp_path, capsys):
    spec = tmp_path / "plate.toml"
    spec.write_text(TWO_D)
    assert main(["check", str(spec)]) == 0
    found = _conditions(capsys.readouterr().out)
    assert list(found) == ["left", "right", "bottom", "top"]
    for text in found.values():  # u = 0 on every face: built in
        assert text.startswith("exact — built into the network's output")
    spec.write_text(TWO_D.replace('on = "y = 1"\nvalue = 0.0', 'on = "y = 1"\nvalue = "x"'))
    assert main(["check", str(spec)]) == 0
    for text in _conditions(capsys.readouterr().out).values():
        assert text == ("soft — Dirichlet data on several coordinates (x, y): built in only "
                        "when they are one constant on every face")
    # walls on x only: both are built in, as the model does (terms left out of the loss)
    spec.write_text(TWO_D.split("[conditions.bottom]")[0])
    plan = prepare(str(spec))
    entries = report(plan.problem, plan.module.__name__, plan.config)
    assert [e["status"] for e in entries] == ["exact", "exact"]
    from pinnlab.methods.pinn import PINNModel

    model = PINNModel(plan.problem, plan.config, None)
    assert model.imposed() == {"conditions.left", "conditions.right"}


@pytest.mark.parametrize("spec,method,expected", [
    ("problems/burgers.toml", "pinn", {"initial": "exact", "walls": "exact"}),
    ("problems/burgers.toml", "xpinn", {"initial": "soft", "walls": "soft"}),
    ("problems/metalic/poisson.toml", "pinn", {"walls": "exact"}),
    ("problems/lpinn/burgers_shock.toml", "lpinn", {"initial": "exact", "periodic": "exact"}),
])
def test_bundled_specs(spec, method, expected):
    plan = prepare(spec, method)
    entries = report(plan.problem, plan.module.__name__, plan.config)
    assert {e["name"]: e["status"] for e in entries} == expected
    assert all(e["reason"] for e in entries)
    if method == "pinn":  # the report says what the model does
        from pinnlab.methods.pinn import PINNModel

        imposed = PINNModel(plan.problem, plan.config, None).imposed()
        assert imposed == {f"conditions.{e['name']}" for e in entries
                           if e["status"] == "exact" and e["kind"] != "periodic"}
