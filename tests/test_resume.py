"""Work is never lost: a run killed with SIGKILL at any checkpoint, in Adam or in L-BFGS (or
dense BFGS), resumes to the very weights of the uninterrupted run, bit for bit; a resume may
grow the budget; a checkpoint from another problem or width is refused."""

import os
import subprocess
import sys
import textwrap

import pytest
import torch

from pinnlab import checkpoint
from pinnlab.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = os.path.join(ROOT, "problems", "burgers.toml")
OPTS = dict(width=8, depth=2, residual_points=128, boundary_points=16, initial_points=16,
            adam_steps=40, lbfgs_steps=60, checkpoint_every=10, resample_every=15,
            compile=False, resample="rad")

RUN = textwrap.dedent("""
    import os, signal, sys
    import torch
    torch.set_num_threads(1)
    import pinnlab
    from pinnlab.train import Trainer

    out, kill_at, resume = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
    saves = []
    original = Trainer._save

    def save(self, tag=""):
        original(self, tag)
        saves.append(self.state.step)
        if len(saves) == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    Trainer._save = save
    pinnlab.solve({spec!r}, out=out, resume=resume, progress=False, evaluate=False, **{opts!r})
""")


def _run(out, kill_at=0, resume=False, **options):
    code = RUN.format(spec=SPEC, opts={**OPTS, **options})
    return subprocess.run([sys.executable, "-c", code, str(out), str(kill_at),
                           "1" if resume else "0"], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})


def _weights(out):
    return checkpoint.load(os.path.join(out, "checkpoint.pt"), kind="trainer")["module"]


@pytest.mark.parametrize("quasi_newton", ["lbfgs", "bfgs", "lm"])
def test_kill_and_resume_reproduces_the_uninterrupted_run_bit_for_bit(tmp_path, quasi_newton):
    full = tmp_path / "full"
    proc = _run(full, quasi_newton=quasi_newton)
    assert proc.returncode == 0, proc.stderr
    want = _weights(full)
    # checkpoints at steps 10, 20, 30, 40 (Adam) and after L-BFGS chunks: 60, 80, 100
    for kill_at in (2, 4, 5, 6):
        out = tmp_path / f"kill{kill_at}"
        killed = _run(out, kill_at=kill_at, quasi_newton=quasi_newton)
        assert killed.returncode == -9, killed.stderr  # SIGKILL, not a clean exit
        step = checkpoint.load(out / "checkpoint.pt", kind="trainer")["state"]["step"]
        assert step < 100
        resumed = _run(out, resume=True, quasi_newton=quasi_newton)
        assert resumed.returncode == 0, resumed.stderr
        got = _weights(out)
        for k in want:
            assert torch.equal(got[k], want[k]), (kill_at, step, k)


def test_resume_with_a_larger_budget_continues(tmp_path):
    import pinnlab

    opts = dict(OPTS, adam_steps=20, lbfgs_steps=20)
    pinnlab.solve(SPEC, out=str(tmp_path), progress=False, evaluate=False, **opts)
    more = pinnlab.solve(SPEC, out=str(tmp_path), resume=True, progress=False,
                         evaluate=False, **dict(opts, adam_steps=30, lbfgs_steps=40))
    stops = more.metrics["optimizer_stops"]
    assert stops["0:adam"] == "step limit (30 steps)"
    assert more.metrics["steps"] >= 50 and "1:lbfgs" in stops


def test_resume_refuses_foreign_checkpoints(tmp_path, capsys):
    out = str(tmp_path / "run")
    small = ["--steps", "2", "--lbfgs-steps", "0", "--quiet", "--option", "width=8",
             "--option", "residual_points=64", "--option", "compile=false"]
    assert main(["solve", SPEC, "--out", out, *small]) == 0
    capsys.readouterr()
    cases = [
        (["solve", SPEC, "--out", out, "--resume", *small, "--option", "width=16"],
         "width is 8 there, 16 here"),
        (["solve", os.path.join(ROOT, "problems", "convection.toml"), "--out", out,
          "--resume", *small], "another problem spec"),
        (["solve", SPEC, "--out", str(tmp_path / "none"), "--resume", *small],
         "no checkpoint.pt"),
    ]
    for argv, words in cases:
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and words in err, err


@pytest.mark.parametrize("damage", ["flip", "truncate", "folder"])
def test_damaged_checkpoint_is_refused_with_one_line(tmp_path, capsys, damage):
    out = tmp_path / "run"
    small = ["--steps", "2", "--lbfgs-steps", "0", "--quiet", "--option", "width=8",
             "--option", "residual_points=64", "--option", "compile=false"]
    assert main(["solve", SPEC, "--out", str(out), *small]) == 0
    path = out / "checkpoint.pt"
    data = bytearray(path.read_bytes())
    if damage == "flip":
        for i in range(len(data) - 64, len(data)):
            data[i] ^= 0xFF
        path.write_bytes(bytes(data))
    elif damage == "truncate":
        path.write_bytes(bytes(data[: len(data) // 2]))
    else:
        path.unlink()
        path.mkdir()
    capsys.readouterr()
    metrics = (out / "metrics.json").read_bytes()
    assert main(["solve", SPEC, "--out", str(out), "--resume", *small]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "checkpoint" in err, err
    assert (out / "metrics.json").read_bytes() == metrics  # nothing overwritten
