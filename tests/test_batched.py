"""Many PINNs per step (:mod:`pinnlab.batched`): instances trained as one stacked model end where
the same instances trained one after the other end — seeds, known parameters and observed values
differing per instance — and options that would couple the instances fall back to separate
trainings."""

import dataclasses

import numpy as np
import pytest
import torch

from pinnlab.api import prepare
from pinnlab.batched import Stack, blockers, group_size, train_many
from pinnlab.ensemble import entry_sigmas, redraw
from pinnlab.methods.pinn import build_pinn
from pinnlab.stages import RunContext
from pinnlab.testing import assert_batched_matches

SMALL = {"width": 12, "depth": 2, "residual_points": 128, "boundary_points": 32,
         "initial_points": 32, "compile": False}


def test_seeds_and_redrawn_observations_match_separate_runs():
    """Inverse Burgers (ν unknown), three members on re-noised data, Adam with residual-based
    redraws every 30 steps, then L-BFGS per instance: measured gap 4e-10 in the weights."""
    plan = prepare("problems/burgers_inverse.toml",
                   options={**SMALL, "adam_steps": 90, "lbfgs_steps": 20, "resample_every": 30})
    obs = plan.problem.observations
    sigma = entry_sigmas(obs)
    problems = [dataclasses.replace(plan.problem, observations=redraw(obs, sigma, 0, k))
                for k in (1, 2, 3)]
    many = assert_batched_matches(problems, plan.config, [11, 12, 13], atol=1e-7, rtol=1e-7)
    nus = [m.params.estimates()["nu"] for m, _ in many]
    assert len(set(nus)) == 3  # the instances are not copies of one another


def test_known_parameter_sweep_matches_separate_runs():
    """Forward Burgers at three viscosities (a family sweep): the known parameter is a stacked
    buffer, so each instance sees its own ν; Adam only."""
    problems = [prepare("problems/burgers.toml", options={**SMALL, "adam_steps": 60,
                                                          "lbfgs_steps": 0},
                        parameters={"nu": nu}).problem for nu in (0.01, 0.03, 0.1)]
    cfg = prepare("problems/burgers.toml", options={**SMALL, "adam_steps": 60,
                                                    "lbfgs_steps": 0}).config
    many = assert_batched_matches(problems, cfg, [0, 0, 0], atol=1e-9, rtol=1e-9)
    # same seed, same start; different ν: different ends
    w = [m.state_dict()["net.layers.0.weight"] for m, _ in many]
    assert float((w[0] - w[2]).abs().max()) > 1e-4


def test_stack_evaluates_each_instance_loss():
    plan = prepare("problems/burgers_inverse.toml", options=SMALL)
    built = [build_pinn(plan.problem, plan.config, RunContext(seed=s, progress=False))
             for s in (1, 2)]
    stack = Stack([m for m, _, _ in built], [lo for _, lo, _ in built])
    total = stack()
    for k, (_, loss, _) in enumerate(built):
        for name, value in loss().items():
            assert float(stack.last[name][k]) == pytest.approx(float(value.detach()), rel=1e-12)
    assert float(sum(total.values()).detach()) == pytest.approx(
        sum(float(v.sum()) for v in stack.last.values()), rel=1e-12)
    # gradients of the sum are each instance's own
    sum(total.values()).backward()
    model, loss, _ = built[1]
    sum(loss().values()).backward()
    own = dict(model.named_parameters())
    for name, stacked in zip(stack.param_names, stack.stacked, strict=True):
        torch.testing.assert_close(stacked.grad[1], own[name].grad, rtol=1e-10, atol=1e-12)


def test_coupling_options_fall_back_to_separate_runs():
    options = {**SMALL, "adam_steps": 40, "lbfgs_steps": 0, "causal": True}
    plan = prepare("problems/burgers.toml", options=options)
    assert blockers(plan.config) == ["causal"]
    assert_batched_matches([plan.problem] * 2, plan.config, [0, 1], atol=0.0, rtol=0.0,
                           batched=False)
    assert blockers(prepare("problems/burgers.toml",
                            options={"stall_steps": 100, "optimizer": "soap"}).config
                    ) == ["stall_steps", "optimizer"]


def test_one_instance_and_length_check():
    plan = prepare("problems/burgers.toml", options={**SMALL, "adam_steps": 5,
                                                     "lbfgs_steps": 0})
    [(model, trainer)] = train_many([plan.problem], plan.config, RunContext(progress=False), [0])
    assert trainer.state.step == 5 and np.isfinite(trainer.state.history[-1]["loss"])
    with pytest.raises(ValueError):
        train_many([plan.problem], plan.config, RunContext(progress=False), [0, 1])


def test_groups_and_group_size():
    plan = prepare("problems/burgers.toml", options={**SMALL, "adam_steps": 10,
                                                     "lbfgs_steps": 0})
    many = train_many([plan.problem] * 3, plan.config, RunContext(progress=False), [0, 1, 2],
                      group=2)
    assert [t.batched for _, t in many] == [2, 2, 0]
    small = prepare("problems/burgers.toml", options={"width": 20, "depth": 2,
                                                      "residual_points": 128}).config
    large = prepare("problems/burgers.toml", options={"width": 64, "depth": 4,
                                                      "residual_points": 1024}).config
    assert group_size(small) == 64 and group_size(large) == 1
    assert group_size(large, "cuda") == 64
