"""The CUDA path: the same code on the GPU gives the CPU's numbers (run where a GPU exists)."""

import pytest
import torch

import pinnlab

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


@cuda
def test_cuda_matches_cpu_in_float64():
    p = pinnlab.load("problems/burgers.toml")
    opts = dict(adam_steps=50, lbfgs_steps=20, width=16, depth=2, residual_points=300,
                progress=False, seed=1, compile=False, resample="uniform")
    cpu = pinnlab.solve(p, device="cpu", **opts)
    gpu = pinnlab.solve(p, device="cuda", **opts)
    assert gpu.metrics["device"] == "cuda"
    assert next(gpu.module.parameters()).is_cuda
    assert gpu.history[-1]["loss"] == pytest.approx(cpu.history[-1]["loss"], rel=1e-6)
    assert gpu.metrics["rel_l2"] == pytest.approx(cpu.metrics["rel_l2"], rel=1e-5)


@cuda
def test_cuda_inverse_parameter_on_gpu():
    p = pinnlab.load("problems/burgers_inverse.toml")
    r = pinnlab.solve(p, device="cuda", adam_steps=100, lbfgs_steps=50, width=16, depth=2,
                      residual_points=500, progress=False, compile=False)
    assert r.metrics["params"]["nu"] != pytest.approx(0.05)


def test_cuda_request_without_gpu_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(pinnlab.SpecError, match="no CUDA device"):
        pinnlab.solve("problems/burgers.toml", device="cuda", adam_steps=1, progress=False)
