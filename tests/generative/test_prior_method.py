"""``--method prior``: the generative-prior reconstruction through ``pinnlab.solve`` and
``pinnlab solve`` gives the numbers of the guidance called directly, scores its parameter as
every method does, and refuses bad input in one line naming the key."""

import json
import os

import numpy as np
import pytest
import torch

import pinnlab
from pinnlab.api import prepare
from pinnlab.cli import main
from pinnlab.errors import PinnlabError
from pinnlab.generative import PriorConfig, family_dataset, train_prior
from pinnlab.generative.guidance import Observations, SpecPDE, reconstruct
from pinnlab.generative.prior import Prior

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC = os.path.join(ROOT, "problems", "generative", "heat_observed.toml")
HEAT = os.path.join(ROOT, "problems", "generative", "heat.toml")  # no [observations]
KAPPA = 0.7458814905985147  # heat_observed.toml's [reference] kappa


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A barely trained rectified-flow prior on a 16 x 16 (t, x) grid: what is compared here
    is the path to the guidance, not the prior's quality."""
    path = tmp_path_factory.mktemp("prior") / "tiny.pt"
    torch.manual_seed(0)
    cfg = PriorConfig(objective="rf", base=8, steps=20, batch=8)
    data = family_dataset("heat", 64, seed=0, grid={"t": 16, "x": 16})
    train_prior(data.fields, cfg, checkpoint=path, progress=False)
    return str(path)


def direct(checkpoint, *, seed, nfe, samples):
    """The spec's observations snapped to the 16 x 16 grid by index arithmetic, and the
    guidance called directly (dps_pde, zeta 1: the method's defaults for this spec)."""
    problem = pinnlab.load(SPEC)
    t, x = np.linspace(0.0, 0.05, 16), np.linspace(0.0, 1.0, 16)
    obs = problem.observations
    it = np.rint(obs.coords["t"] / 0.05 * 15).astype(int)
    ix = np.rint(obs.coords["x"] * 15).astype(int)
    mask, values = np.zeros((1, 16, 16), bool), np.zeros((1, 16, 16))
    mask[0, it, ix], values[0, it, ix] = True, obs.values["u"]
    rec = reconstruct(Prior.load(checkpoint), Observations(mask, values), method="dps_pde",
                      n_samples=samples, nfe=nfe, zeta=1.0,
                      pde=SpecPDE(problem, {"t": t, "x": x}), seed=seed)
    return t, x, mask, rec


def test_solve_equals_the_guidance_called_directly(checkpoint):
    res = pinnlab.solve(SPEC, method="prior", checkpoint=checkpoint, nfe=6, samples=3, seed=5,
                        progress=False)
    t, x, mask, rec = direct(checkpoint, seed=5, nfe=6, samples=3)
    mean = rec.samples.double().mean(0)[0].numpy()  # the posterior mean, in float64
    pred = res.predict({"t": t[:, None], "x": x[None, :]})["u"]
    # measured: 0 (the interpolant is exact at the nodes; the same seed gives the same samples)
    assert np.abs(pred - mean).max() <= 1e-10 * np.abs(mean).max()
    m = res.metrics
    assert m["guidance"] == "dps_pde" and (m["nfe"], m["samples"]) == (6, 3)
    assert m["observed"] == int(mask.sum()) == 30  # 31 points of a 32-grid on 30 of its nodes
    assert m["posterior_grid"] == {"t": 16, "x": 16}
    theta = rec.params.double()
    assert m["params"]["kappa"] == pytest.approx(float(theta.mean()), rel=1e-10, abs=1e-12)
    assert m["uncertainty"]["std"]["kappa"] == pytest.approx(float(theta.std()), rel=1e-10)
    field_std = float(rec.samples.double().std(0).mean())
    assert m["uncertainty"]["field_std"] == pytest.approx(field_std, rel=1e-6)
    # scored against the spec's [reference] as the PINN's estimate is
    assert m["params_true"] == {"kappa": KAPPA}
    assert m["params_rel_error"]["kappa"] == pytest.approx(
        abs(m["params"]["kappa"] - KAPPA) / KAPPA, rel=1e-12)
    # between nodes: multilinear (the centre of a cell is the mean of its four corners)
    centre = res.predict({"t": np.array([(t[3] + t[4]) / 2]), "x": np.array([(x[7] + x[8]) / 2])})
    assert centre["u"][0] == pytest.approx(mean[3:5, 7:9].mean(), rel=1e-12, abs=1e-12)


def test_posterior_samples_and_spread_are_kept(checkpoint, tmp_path):
    """The result keeps the guidance's samples (those of the direct call, same seed) and their
    per-node standard deviation; ``save`` writes them to posterior.npz and the spread as a
    panel of solution.png."""
    res = pinnlab.solve(SPEC, method="prior", checkpoint=checkpoint, nfe=6, samples=3, seed=5,
                        progress=False, out=str(tmp_path))
    _, _, _, rec = direct(checkpoint, seed=5, nfe=6, samples=3)
    samples = rec.samples.double()[:, 0].numpy()
    saved = np.load(tmp_path / "posterior.npz")
    assert set(saved.files) == {"t", "x", "u_samples", "u_std"}
    np.testing.assert_allclose(saved["u_samples"], samples, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(saved["u_std"], samples.std(0, ddof=1), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(res.posterior["t"], np.linspace(0.0, 0.05, 16))
    assert (tmp_path / "solution.png").exists()


def test_check_refuses_in_one_line_naming_the_key(checkpoint, tmp_path):
    def refused(spec, key, **options):
        with pytest.raises(PinnlabError) as info:
            prepare(spec, "prior", options=options)
        assert info.value.key == key and "\n" not in str(info.value)
        return info.value

    err = refused(HEAT, "observations", checkpoint=checkpoint)
    assert err.file == HEAT and "[observations]" in err.message
    assert "no such file" in refused(SPEC, "checkpoint",
                                            checkpoint=str(tmp_path / "missing.pt")).message
    assert refused(SPEC, "training.checkpoint").file == SPEC  # none given
    assert refused(SPEC, "checkpoint", checkpoint=SPEC).file == SPEC  # not a checkpoint
    refused(SPEC, "training.grid", checkpoint=checkpoint, grid={"x": 16})
    # a checkpoint the spec names is one of its data files: in its folder, named by its key
    csv = open(os.path.join(ROOT, "problems", "generative", "heat_measurements_3pct.csv")).read()
    (tmp_path / "heat_measurements_3pct.csv").write_text(csv)
    spec = tmp_path / "spec.toml"
    for name, message in (("missing.pt", "not found"), ("../tiny.pt", "outside the spec's folder"),
                          (checkpoint, "absolute paths are not accepted")):
        spec.write_text(open(SPEC).read() + f'\n[training]\ncheckpoint = "{name}"\n')
        err = refused(str(spec), "training.checkpoint")
        assert err.file == str(spec) and message in err.message
    (tmp_path / "tiny.pt").write_bytes(open(checkpoint, "rb").read())
    spec.write_text(open(SPEC).read() + '\n[training.prior]\ncheckpoint = "tiny.pt"\n')
    assert prepare(str(spec), "prior").config.checkpoint == "tiny.pt"


def test_cli_solve_with_the_prior(checkpoint, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["solve", SPEC, "--method", "prior", "--option", f"checkpoint={checkpoint}",
                 "--quick", "--quiet", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert (metrics["nfe"], metrics["samples"]) == (10, 2)  # the quick budget
    assert np.load(out / "solution.npz")["u"].shape == (32, 32)  # the reference grid
    capsys.readouterr()
    assert main(["solve", SPEC, "--method", "prior", "--option",
                 f"checkpoint={tmp_path / 'missing.pt'}", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("pinnlab: error: checkpoint: no such file")
    assert "\n" not in err
    # --prior CKPT is the same as --option checkpoint=CKPT, and only for --method prior
    assert main(["solve", SPEC, "--method", "prior", "--prior", str(checkpoint), "--quick",
                 "--quiet", "--out", str(tmp_path / "flag")]) == 0
    flag = np.load(tmp_path / "flag" / "solution.npz")["u"]
    np.testing.assert_array_equal(flag, np.load(out / "solution.npz")["u"])
    capsys.readouterr()
    assert main(["solve", SPEC, "--prior", str(checkpoint), "--out", str(tmp_path / "y")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("pinnlab: error: --prior: --prior is the trained prior of --method prior; "
                   "add --method prior")
    assert not (tmp_path / "y").exists()
