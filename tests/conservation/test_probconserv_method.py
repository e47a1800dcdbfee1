"""ProbConserv through :func:`pinnlab.solve`: the result's field is the conserved posterior of
the spec's member, its mass is the exact one, and bad combinations are one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import pinnlab
from pinnlab.api import prepare
from pinnlab.cli import main
from pinnlab.conservation.data import sample_functions
from pinnlab.conservation.evaluate import gp_slice
from pinnlab.conservation.gp import FamilyGaussianProcess, GPConfig
from pinnlab.conservation.problems import load_problem
from pinnlab.conservation.update import conserve, mass_constraint
from pinnlab.errors import SpecError
from pinnlab.testing import hide_module

ROOT = Path(__file__).resolve().parents[2]
STEFAN = ROOT / "problems" / "gpme_stefan.toml"


@pytest.fixture(scope="module")
def result():
    return pinnlab.solve(STEFAN, method="probconserv", gp_iters=20, seed=3, progress=False)


def test_field_is_the_conserved_gp_posterior(result):
    """At the evaluation time, on the conservation grid, ``predict`` equals the update applied
    by hand to the GP fitted with the same seed and context; its trapezoid mass is U(t)."""
    gp_problem = load_problem(STEFAN)
    p, t, x = 0.6, gp_problem.eval_time, gp_problem.x_grid()
    batch = sample_functions(gp_problem, 1, np.random.default_rng(3 + 1234), params=p)
    gp = FamilyGaussianProcess(gp_problem, GPConfig(iters=20, seed=3)).fit()
    mean, cov = gp_slice(gp, gp_problem, batch, x, t)
    g, b = mass_constraint(gp_problem, t, torch.as_tensor(x), p)
    expected = conserve(mean, cov, g, b.reshape(1)).mean[0].numpy()
    u = result.predict({"x": x, "t": np.full_like(x, t)})["u"]
    np.testing.assert_allclose(u, expected, rtol=0, atol=1e-8)
    assert abs(float(g @ torch.as_tensor(u)) - float(b)) < 1e-10
    assert result.metrics["conservation"]["probconserv"]["ce"] < 1e-10
    assert result.metrics["conservation"]["base"]["ce"] > 1e-6


def test_field_is_close_to_the_exact_solution(result):
    """Rel. L2 over the reference grid, measured with 20 GP steps: 0.36-0.39 over seeds 0-4
    (0.20 with the default 150 steps)."""
    assert result.metrics["rel_l2"] < 0.5
    assert result.metrics["conditions"][0]["status"] == "soft"


def test_refusals_are_one_line(tmp_path, capsys):
    with pytest.raises(SpecError, match="GPME spec"):
        prepare(ROOT / "problems" / "burgers.toml", "probconserv")
    with pytest.raises(SpecError, match="base"):
        prepare(STEFAN, "probconserv", options={"anp_checkpoint": "anp.pt"})
    spec = tmp_path / "unknown.toml"
    spec.write_text(STEFAN.read_text().replace("u_star = 0.6", "u_star = {guess = 0.6, "
                                               "bounds = [0.5, 0.7]}"))
    with pytest.raises(SpecError, match="not a known parameter") as exc:
        prepare(spec, "probconserv")
    assert exc.value.key == "family.u_star"
    code = main(["solve", str(STEFAN), "--method", "probconserv", "--option", "base=anp",
                 "--option", f"anp_checkpoint={tmp_path / 'none.pt'}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "anp_checkpoint: no such file" in err[0]
    outside = tmp_path / "stranger.toml"  # a spec may name only files in its own folder
    own = '[training.probconserv]\nbase = "anp"\nanp_checkpoint = "/etc/hosts"\n\n[training]'
    outside.write_text(STEFAN.read_text().replace("[training]", own))
    with pytest.raises(SpecError, match="absolute paths") as exc:
        prepare(outside, "probconserv")
    assert exc.value.key == "training.probconserv.anp_checkpoint"


def test_missing_gpytorch_is_named_before_training(monkeypatch):
    """Without the [gp] extra the GP base model is refused by ``check``, in one line."""
    from pinnlab.errors import MissingDependency

    hide_module(monkeypatch, "gpytorch")
    with pytest.raises(MissingDependency, match=r"pinnlab-sciml\[gp\]"):
        prepare(STEFAN, "probconserv")
