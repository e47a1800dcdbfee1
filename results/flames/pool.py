"""Shared plumbing of the flame benchmark scripts: the ``pinn`` sub-command's arguments and a
process pool that runs one single-threaded solve per job and writes one JSON per run."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def add_pinn_parser(sub, default_out: Path) -> argparse.ArgumentParser:
    """The ``pinn`` sub-command: --workers, --out, --quick, --device, --only."""
    p = sub.add_parser("pinn")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--out", default=str(default_out))
    p.add_argument("--quick", action="store_true")
    p.add_argument("--device", default="cpu")
    p.add_argument("--only", default="", help="run only jobs whose name contains this")
    return p


def run_jobs(worker: Callable[[dict], dict], jobs: list[dict], out: str | Path, workers: int,
             prefix: str = "") -> None:
    """Run ``worker(job)`` for every job, ``workers`` processes at a time; write
    ``out/<prefix><name>.json`` and print a one-line summary per finished run."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(workers) as pool:
        for rec in pool.map(worker, jobs):
            (out / f"{prefix}{rec['name']}.json").write_text(json.dumps(rec))
            print(rec["name"], f"{rec['err_s_L']:+.2e}", f"{rec['T_rel_l2']:.2e}",
                  f"{rec['wall_s']:.0f}s", flush=True)
