"""The GP reward model, the policies, a bandit session end to end (single- and two-stage,
resumed), and the Ray runner agreeing with the local one on real trainings."""

import json
import os

import numpy as np
import pytest
import torch

from pinnlab.bandit.agent import ARMS, Bandit, ContextSpace, reward
from pinnlab.bandit.gp import RewardModel
from pinnlab.bandit.session import BanditSetup, Session
from pinnlab.bandit.trials import run_trial, trial
from pinnlab.errors import SpecError
from pinnlab.runner import make_runner

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ADVECTION = os.path.join(ROOT, "problems", "metalic", "advection.toml")
TINY = {"adam_steps": 30, "lbfgs_steps": 10, "residual_points": 64, "boundary_points": 16,
        "interface_points": 16}


def synthetic(s, arms):
    """A reward whose best arm changes with the context: Σ_j w_j cos(j + 3 s)."""
    c = np.cos(np.arange(9)[None, :] + 3 * np.asarray(s)[:, None])
    return (arms * c).sum(1)


def test_reward_caps_nan_and_blowups():
    assert reward(1e-3) == pytest.approx(3.0)
    assert reward(float("nan")) == reward(float("inf")) == reward(1e5) == pytest.approx(-2.0)


def test_gp_finds_the_best_arm_of_a_synthetic_reward():
    rng = np.random.default_rng(0)
    s = rng.random(150)
    arms = ARMS[rng.integers(len(ARMS), size=150)]
    y = synthetic(s, arms) + 0.05 * rng.standard_normal(150)
    x = np.concatenate([2 * s[:, None] - 1, arms], 1)
    model = RewardModel(torch.tensor(x), torch.tensor(y), 1, iters=200)
    for s0 in (0.1, 0.5, 0.9):
        q = np.concatenate([np.full((len(ARMS), 1), 2 * s0 - 1), ARMS], 1)
        mean, cov = model.posterior(torch.tensor(q))
        truth = synthetic(np.full(len(ARMS), s0), ARMS)
        chosen = truth[int(torch.argmax(mean))]
        assert chosen >= truth.max() - 0.05 * (truth.max() - truth.mean())
        assert torch.all(cov.diagonal() > 0)
        # the posterior mean tracks the truth over all 512 arms
        assert np.corrcoef(mean.numpy(), truth)[0, 1] > 0.97


def _late_score(policy, seed):
    """Mean reward / best reward over rounds 18-25 of one online session."""
    space = ContextSpace({"s": (0.0, 1.0)})
    agent = Bandit(space, policy, seed=seed, gp_iters=60)
    rng = np.random.default_rng(seed)
    late = []
    for i in range(25):
        ctx = space.sample(rng, 1)[0]
        arm = agent.choose(ctx) if i >= 5 else tuple(ARMS[rng.integers(len(ARMS))].astype(int))
        r = float(synthetic([ctx["s"]], np.array([arm]))[0])
        agent.observe(ctx, arm, r)
        if i >= 17:
            late.append(r / synthetic(np.full(512, ctx["s"]), ARMS).max())
    return float(np.mean(late))


@pytest.mark.parametrize("policy", ["ucb", "ts"])
def test_policies_learn_online_on_a_synthetic_reward(policy):
    # one session's score depends on which arms the GP happens to rank first: over seeds 0-11
    # (seeds 0-5 at 1 and 2 threads, identical) UCB scored -0.18-0.89, Thompson sampling
    # -0.23-0.77, random arms -0.49 to -0.09. The mean of 3 sessions: lowest over all triples of
    # those seeds 0.31 (UCB) and 0.09 (TS); random arms average -0.28. Thompson sampling
    # explores its 512 arms longer than UCB.
    score = np.mean([_late_score(policy, seed) for seed in (1, 2, 3)])
    assert score > (0.25 if policy == "ucb" else 0.0)


def test_context_space_log_scale_and_standardise():
    space = ContextSpace({"nu": (0.001, 0.05), "beta": (1.0, 30.0)})
    assert space.log.tolist() == [True, True]
    assert space.standardise({"nu": 0.001, "beta": 30.0}) == pytest.approx([-1.0, 1.0])
    got = space.sample(np.random.default_rng(0), 200)
    assert all(0.001 <= c["nu"] <= 0.05 for c in got)


@pytest.mark.parametrize("two_stage", [False, True])
def test_session_runs_end_to_end_and_resumes(tmp_path, two_stage):
    setup = BanditSetup(spec=ADVECTION, warmup=1, rounds=1, heldout=1, fixed=("xpinn",),
                        two_stage=two_stage, options=TINY)
    lines = []
    with make_runner("local", workers=1) as runner:
        session = Session(setup, runner, str(tmp_path), log=lines.append)
        session.run_online()
        held = session.run_heldout()
    state = json.load(open(tmp_path / "state.json"))
    assert state["round"] == 2 and len(state["online"]) == 1 + 3
    assert all(np.isfinite(r["reward"]) for r in state["online"])
    methods = {r["method"] for r in held}
    assert {"random", "fixed-xpinn", "metalic-ucb", "metalic-ts"} <= methods
    if two_stage:
        assert all(len(r["arm2"]) == 9 for r in state["online"])
        assert all(len(r["arm"]) == 18 for r in held if r["method"].startswith("metalic"))
    # a stopped session resumes: nothing is re-run and the agents keep their data
    with make_runner("local", workers=1) as runner:
        again = Session(setup, runner, str(tmp_path), log=lines.append)
        again.run_online()
    assert any("resuming after round 2" in s for s in lines)
    assert len(again.agents["ucb"].history) == 2
    if not two_stage:  # held-out trainings already finished are not repeated either
        os.remove(tmp_path / "heldout.json")
        with make_runner("local", workers=1) as runner:
            again.runner = runner
            held2 = again.run_heldout()
        assert any("already done" in s for s in lines)
        assert [r["error"] for r in held2] == [r["error"] for r in held]
        # more online rounds continue the same session; a different setup is refused
        longer = BanditSetup(**{**setup.__dict__, "rounds": 2})
        with make_runner("local", workers=1) as runner:
            ext = Session(longer, runner, str(tmp_path), log=lines.append)
            ext.run_online()
        assert len(ext.agents["ts"].history) == 3 and (tmp_path / "heldout_1.json").exists()
        with pytest.raises(SpecError):
            Session(BanditSetup(**{**setup.__dict__, "beta": 2.0}), None, str(tmp_path))


def test_ray_backend_matches_local_on_trainings():
    pytest.importorskip("ray")
    trials = [trial(ADVECTION, {"beta": b}, m, seed=3, options=TINY)
              for b, m in ((2.0, (0, 1, 0, 1, 0, 0, 0, 0, 0)), (9.0, (1,) * 9))]
    with make_runner("local", workers=1) as local:
        a = local.map(run_trial, trials)
    with make_runner("ray", workers=2) as ray_runner:
        b = ray_runner.map(run_trial, trials)
    for x, y in zip(a, b):
        assert x["error"] == pytest.approx(y["error"], rel=1e-9)
