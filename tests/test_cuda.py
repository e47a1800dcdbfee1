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


@cuda
def test_cuda_batched_instances_match_separate_runs():
    from pinnlab.api import prepare
    from pinnlab.testing import assert_batched_matches

    plan = prepare("problems/burgers_inverse.toml", device="cuda",
                   options={"width": 16, "depth": 2, "residual_points": 256, "adam_steps": 60,
                            "lbfgs_steps": 10, "resample_every": 20, "compile": False})
    assert_batched_matches([plan.problem] * 4, plan.config, [0, 1, 2, 3], atol=1e-7, rtol=1e-7,
                           device="cuda")


def test_cuda_request_without_gpu_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(pinnlab.SpecError, match="no CUDA device"):
        pinnlab.solve("problems/burgers.toml", device="cuda", adam_steps=1, progress=False)


@cuda
def test_cuda_probconserv_matches_cpu_in_float64():
    """ANP forward pass and the conservation update give the CPU's numbers on the GPU."""
    import copy

    import numpy as np

    from pinnlab.conservation.anp import AttentiveNeuralProcess
    from pinnlab.conservation.data import sample_functions
    from pinnlab.conservation.evaluate import grid_inputs
    from pinnlab.conservation.problems import builtin_problem
    from pinnlab.conservation.train import TrainConfig, train_anp
    from pinnlab.conservation.update import conserve, mass_constraint

    problem = builtin_problem("stefan")
    torch.manual_seed(0)
    cpu = AttentiveNeuralProcess(32, layers=1).double().eval()
    gpu = copy.deepcopy(cpu).cuda()
    batch = sample_functions(problem, 3, np.random.default_rng(0), params=0.6)
    x, t = problem.x_grid(), problem.eval_time
    fields = []
    for model, device in ((cpu, "cpu"), (gpu, "cuda")):
        cs, cu, ts = (a.to(device) for a in grid_inputs(problem, batch, x, t, torch.float64))
        with torch.no_grad():
            m_c, _ = model.latent(cs, cu)
            mu, sd = model.decode(model.deterministic(cs, cu, ts), m_c, ts)
        g, b = mass_constraint(problem, t, torch.as_tensor(x, device=device), 0.6)
        post = conserve(mu, sd**2, g, b.expand(3))
        assert post.mean.device.type == device
        assert float((post.mean @ g - b).abs().max()) < 1e-10
        fields.append((mu.cpu(), post.mean.cpu(), post.cov.cpu()))
    for a, b in zip(*fields):
        assert torch.allclose(a, b, rtol=1e-9, atol=1e-11)
    run = train_anp(problem, TrainConfig(steps=30, batch=8, hidden=32, layers=1, device="cuda",
                                         dtype=torch.float64, val_every=15, workers=2))
    assert next(run.model.parameters()).is_cuda
    assert run.best_step in (15, 30) and all(np.isfinite(run.losses))
