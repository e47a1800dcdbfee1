"""torch.compile of the PINN loss: the compiled loss equals the eager one, and the run prints no
recompilation warnings (the loss must not depend on Python state that changes between steps)."""

import pytest
import torch

import pinnlab

TINY = dict(width=8, depth=2, residual_points=64, boundary_points=16, initial_points=16,
            dtype="float64", adam_steps=12, lbfgs_steps=0)  # more steps than dynamo's limit of 8
#                                                     recompilations


def test_compiled_loss_matches_eager(capfd):
    eager = pinnlab.solve("problems/burgers.toml", progress=False, evaluate=False,
                          **dict(TINY, compile=False))
    torch._dynamo.reset()
    capfd.readouterr()
    compiled = pinnlab.solve("problems/burgers.toml", progress=False, evaluate=False,
                             **dict(TINY, compile=True))
    assert "recompil" not in capfd.readouterr().err
    a, b = eager.history[0], compiled.history[0]
    assert b["loss"] == pytest.approx(a["loss"], rel=1e-9)
    assert compiled.history[-1]["loss"] == pytest.approx(eager.history[-1]["loss"], rel=1e-6)


def test_resampling_does_not_recompile(monkeypatch):
    """New points every few steps (uniform and RAD, Adam and L-BFGS) reuse the compiled loss:
    dynamo raises on any recompilation here. (Grouping terms by the identity of their point
    tensors inside the compiled function once made every resample recompile, until dynamo's
    limit of 8 sent the rest of the run back to eager.)"""
    monkeypatch.setattr(torch._dynamo.config, "error_on_recompile", True)
    torch._dynamo.reset()
    for resample in ("uniform", "rad"):
        pinnlab.solve("problems/burgers_inverse.toml", progress=False, evaluate=False,
                      **dict(TINY, compile=True, adam_steps=30, lbfgs_steps=30,
                             resample=resample, resample_every=5, lbfgs_resample_every=10))
