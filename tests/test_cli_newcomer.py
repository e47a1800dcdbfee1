"""Newcomer comforts on the command line: --version, --quick (and PINNLAB_QUICK), the compile
notice and --no-compile, a plain one-sentence description for every subcommand."""

import argparse
import json
from importlib.metadata import version

import pytest

import pinnlab
from pinnlab.api import prepare
from pinnlab.cli import DISTRIBUTION, build_parser, main
from pinnlab.commands import _plan
from pinnlab.errors import SpecError
from pinnlab.quick import CAPS, enabled

TINY = dict(width=8, depth=2, residual_points=64, compile=False, dtype="float64")


def test_version_prints_the_installed_version(capsys):
    assert main(["--version"]) == 0
    out = capsys.readouterr().out.strip()
    assert out == f"pinnlab {version(DISTRIBUTION)}"
    assert out == f"pinnlab {pinnlab.__version__}"  # metadata and the package agree


def _subparsers(parser, path=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield (*path, name), child
                yield from _subparsers(child, (*path, name))


def test_every_subcommand_has_a_plain_one_sentence_description():
    commands = dict(_subparsers(build_parser()))
    assert {("solve",), ("check",), ("sweep",), ("bandit",)} <= set(commands)
    for path, parser in commands.items():
        text = parser.description or ""
        assert text and text.rstrip().endswith("."), f"{path}: {text!r}"
        assert "``" not in text, f"{path}: markup in {text!r}"
        helps = " ".join(a.help or "" for a in parser._actions)
        assert "``" not in helps, f"{path}: markup in an option's help"


def test_help_of_check_and_sweep_starts_with_a_sentence(capsys):
    for argv in (["check", "--help"], ["sweep", "--help"], ["bandit", "--help"]):
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert "``" not in out
        first = out.split("\n\n")[1]  # after the usage block
        assert first[0].isupper() and first.rstrip().endswith(".")


def test_quick_caps_the_budget_and_explicit_steps_win(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["solve", "problems/burgers.toml", "--quick", "--steps", "3", "--lbfgs-steps",
                 "2", "--option", "width=8", "--quiet", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    cfg = metrics["config"]
    assert metrics["quick"] is True and metrics["steps"] == 5
    assert cfg["adam_steps"] == 3 and cfg["lbfgs_steps"] == 2  # explicit flags win
    assert cfg["residual_points"] == CAPS["residual_points"] < 4096  # the spec says 4096
    assert cfg["compile"] is False  # the spec says compile = true
    assert cfg["width"] == 8


def test_quick_check_reports_the_quick_budget(capsys):
    assert main(["check", "problems/burgers.toml", "--quick"]) == 0
    out = capsys.readouterr().out
    assert (f"budget: adam_steps {CAPS['adam_steps']}, lbfgs_steps {CAPS['lbfgs_steps']}, "
            f"residual_points {CAPS['residual_points']} (quick)") in out


def test_environment_variable_makes_the_api_quick(monkeypatch):
    monkeypatch.setenv("PINNLAB_QUICK", "1")
    plan = prepare("problems/burgers.toml", quick=enabled())
    assert plan.config.lbfgs_steps == CAPS["lbfgs_steps"] and not plan.config.compile
    res = pinnlab.solve("problems/burgers.toml", progress=False, evaluate=False, adam_steps=2,
                        lbfgs_steps=1, **TINY)
    assert res.metrics["config"]["adam_steps"] == 2  # keyword options win
    assert res.metrics["config"]["residual_points"] == 64
    assert res.metrics["config"]["boundary_points"] == CAPS["boundary_points"]
    plain = prepare("problems/burgers.toml", quick=enabled(False))
    assert plain.config.lbfgs_steps == 8000  # quick=False wins over the environment
    monkeypatch.setenv("PINNLAB_QUICK", "maybe")
    with pytest.raises(SpecError, match="PINNLAB_QUICK"):
        enabled()


def test_sweep_quick_shrinks_each_training(monkeypatch):
    from pinnlab.bandit.api import training_options

    monkeypatch.delenv("PINNLAB_QUICK", raising=False)
    spec = "problems/metalic/poisson.toml"
    opts = training_options(spec, {"adam_steps": 7}, quick=True)
    assert opts["adam_steps"] == 7 and opts["lbfgs_steps"] == CAPS["lbfgs_steps"]
    assert training_options(spec) == {}


def test_compile_notice_once_unless_quiet_and_no_compile_wins(tmp_path, capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch, "compile", lambda fn, **options: fn)  # the notice, not the compiler
    opts = dict(TINY, compile=True, adam_steps=3, lbfgs_steps=2)
    loud = pinnlab.solve("problems/burgers.toml", progress=True, evaluate=False, **opts)
    err = capsys.readouterr().err
    assert err.count("compiling the loss (one-off) ...") == 1
    quiet = pinnlab.solve("problems/burgers.toml", progress=False, evaluate=False, **opts)
    assert "compiling" not in capsys.readouterr().err
    assert loud.history[-1]["loss"] == quiet.history[-1]["loss"]
    out = tmp_path / "run"
    assert main(["solve", "problems/burgers.toml", "--no-compile", "--steps", "2",
                 "--lbfgs-steps", "0", "--option", "residual_points=64", "--option", "width=8",
                 "--out", str(out)]) == 0
    assert "compiling" not in capsys.readouterr().err
    assert json.loads((out / "metrics.json").read_text())["config"]["compile"] is False
    # --no-compile is accepted (and does nothing) for a method without compilation
    args = build_parser().parse_args(["solve", "problems/lpinn/burgers_shock.toml", "--method",
                                      "lpinn", "--no-compile"])
    assert "compile" not in _plan(args)[1]


def test_conserve_and_prior_have_quick_budgets(tmp_path, monkeypatch):
    """``--quick`` (or PINNLAB_QUICK=1) shrinks the commands with their own budgets; an
    explicit value still wins."""
    import os

    import numpy as np

    from pinnlab.quick import fill_budget

    args = argparse.Namespace(quick=True, steps=None, gp_iters=7)
    assert fill_budget(args, {"steps": (1000, 100), "gp_iters": (150, 20)})
    assert (args.steps, args.gp_iters) == (100, 7)
    monkeypatch.setenv("PINNLAB_QUICK", "1")
    out = tmp_path / "heat.npz"
    assert main(["prior", "data", "--family", "heat", "--out", str(out)]) == 0
    assert np.load(out)["fields"].shape[0] == 64
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    spec = os.path.join(root, "problems", "gpme_pme.toml")
    assert main(["solve", spec, "--method", "probconserv", "--quiet",
                 "--out", str(tmp_path / "pc")]) == 0
    metrics = json.loads((tmp_path / "pc" / "metrics.json").read_text())
    assert metrics["config"]["gp_iters"] == 20  # the quick cap
    assert metrics["conservation"]["probconserv"]["ce"] < 1e-10
