"""Multi-domain PINNs trained as one batch (:mod:`pinnlab.batched`), the way the bandit and the
sweeps now train compatible trials: the same weights, losses and errors as separate trainings."""

import pytest

from pinnlab.api import prepare
from pinnlab.bandit.trials import _problem, batches, map_trials, run_trial, run_trials, trial
from pinnlab.runner import make_runner
from pinnlab.testing import assert_batched_matches

SPEC = "problems/metalic/burgers.toml"
SMALL = {"residual_points": 64, "boundary_points": 16, "interface_points": 16,
         "adam_steps": 40, "lbfgs_steps": 10}


def _family(nus, **options):
    problems = [_problem(SPEC).with_parameters({"nu": nu}) for nu in nus]
    cfg = prepare(problems[0], "multidomain", options={**SMALL, **options}).config
    return problems, cfg


def test_family_members_match_separate_runs():
    """Three viscosities of the Burgers family, three seeds, redraws every 20 Adam steps,
    then L-BFGS per instance: measured weight gap 2.5e-14."""
    problems, cfg = _family((0.002, 0.01, 0.04), interface_conditions="xpinn",
                            resample_every=20)
    many = assert_batched_matches(problems, cfg, [0, 1, 2], atol=1e-9, rtol=1e-9,
                                  method="multidomain")
    losses = [t.state.history[-1]["loss"] for _, t in many]
    assert len(set(losses)) == 3


def test_gradient_enhanced_interface_falls_back_to_separate_runs():
    """The gradient-enhanced interface residual differentiates w.r.t. the interface points,
    which a vmapped evaluation cannot: such trials train one after the other."""
    problems, cfg = _family((0.002, 0.01), interface_conditions="all", adam_steps=10,
                            lbfgs_steps=0)
    assert_batched_matches(problems, cfg, [0, 1], atol=0.0, rtol=0.0, batched=False,
                           method="multidomain")


def test_batched_trials_give_the_errors_of_single_trials():
    opts = {**SMALL, "lbfgs_steps": 5}
    ts = [trial(SPEC, {"nu": nu}, (0, 1, 0, 1, 0, 0, 0, 0, 0), seed=s, options=opts)
          for nu, s in ((0.003, 0), (0.02, 4))]
    one = [run_trial(t) for t in ts]
    many = run_trials(ts)
    for a, b in zip(one, many, strict=True):
        assert b["error"] == pytest.approx(a["error"], rel=1e-9)
        assert b["reward"] == pytest.approx(a["reward"], rel=1e-9)
        assert b["stops"] == a["stops"]
    with pytest.raises(ValueError):
        run_trials([ts[0], trial(SPEC, {"nu": 0.01}, (1,) * 9, options=opts)])


def test_trials_are_batched_by_what_they_share():
    opts = {"adam_steps": 5}
    xp, other = (0, 1, 0, 1, 0, 0, 0, 0, 0), (1, 0, 0, 0, 0, 0, 0, 0, 0)
    ts = [trial(SPEC, {"nu": 0.01 * (k + 1)}, xp if k % 2 else other, seed=k, options=opts)
          for k in range(6)]
    ts.append(trial(SPEC, {"nu": 0.01}, xp, stage="lbfgs", state={"w": [0.0]}, options=opts))
    assert batches(ts) == [[0, 2, 4], [1, 3, 5], [6]]  # a continued stage runs alone
    assert batches(ts, workers=2) == [[0, 2], [1, 3], [4], [5], [6]]
    assert batches(ts, size=2) == [[0, 2], [1, 3], [4], [5], [6]]


def test_map_trials_reports_every_trial_in_order():
    opts = {**SMALL, "adam_steps": 5, "lbfgs_steps": 0}
    xp = (0, 1, 0, 1, 0, 0, 0, 0, 0)
    ts = [trial(SPEC, {"nu": nu}, xp, seed=0, options=opts) for nu in (0.002, 0.01, 0.04)]
    seen = []
    with make_runner("local", workers=1) as runner:
        out = map_trials(runner, ts, on_result=lambda i, r: seen.append(i))
    assert sorted(seen) == [0, 1, 2]
    alone = run_trial(ts[2])
    assert out[2]["error"] == pytest.approx(alone["error"], rel=1e-9)
