"""Every bundled spec through the command line at its defaults, on an idle machine and beside two
CPU-bound neighbours: training throughput, threads chosen, stop reasons.

    python results/speed/cli_load.py [--seconds 45] [--settle 65] [--tag SUFFIX] [SPEC ...]

For each condition (idle, then two neighbours: ``python -c "while True: pass"`` twice, started
``--settle`` seconds before the first run so that the load average the thread default reads has
seen them), each spec (every ``problems/**/*.toml`` unless named) runs as a user would run it,
``pinnlab solve SPEC --quiet --out TMP``, its defaults untouched except ``--option
time_limit=SECONDS`` (training stops after that much wall time: a full default run of every
spec would take hours, and the throughput is what contention changes). Reported per spec and
condition: training steps per second after the first logged row (from ``history.csv``: the
first step's compilation or warm-up left out; ``steps / wall_s`` of ``metrics.json`` when fewer
than three rows were logged), the threads the default chose, the command's whole wall time
(start-up, compilation, reference and figures included) and the stop reasons; per spec the
ratio of idle to loaded throughput (the goal: at most 2). Writes ``cli_load.json`` and
``cli_load.md`` here. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def run(spec: str, seconds: float) -> dict:
    """One capped CLI run; its throughput, threads, stop reasons and wall time."""
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "pinnlab", "solve", spec, "--quiet", "--out",
                               out, "--option", f"time_limit={seconds}"], cwd=ROOT,
                              capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1][:200],
                    "command_s": wall}
        m = json.load(open(os.path.join(out, "metrics.json")))
        with open(os.path.join(out, "history.csv")) as f:
            head = f.readline().strip().split(",")
            hist = [dict(zip(head, line.strip().split(","), strict=False)) for line in f]
    rows = [(int(h["step"]), float(h["wall_s"])) for h in hist if h.get("wall_s")]
    steady = len(rows) >= 3
    rate = ((rows[-1][0] - rows[1][0]) / (rows[-1][1] - rows[1][1]) if steady
            else m["steps"] / m["wall_s"])
    return {"steps": m["steps"], "train_s": m["wall_s"], "steps_per_s": rate,
            "steady": steady, "threads": m.get("threads"), "stops": m.get("optimizer_stops"),
            "command_s": wall}


def neighbours(n: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("specs", nargs="*")
    ap.add_argument("--seconds", type=float, default=45.0)
    ap.add_argument("--settle", type=float, default=65.0)
    ap.add_argument("--tag", default="", help="suffix of the output files")
    args = ap.parse_args()
    specs = args.specs or sorted(os.path.relpath(p, ROOT) for p in glob.glob(
        os.path.join(ROOT, "problems", "**", "*.toml"), recursive=True))
    rows: dict[str, dict] = {s: {} for s in specs}
    for label, n in (("idle", 0), ("loaded", 2)):
        busy = neighbours(n)
        try:
            if busy:
                time.sleep(args.settle)
            load = os.getloadavg()[0]
            for s in specs:
                rows[s][label] = {**run(s, args.seconds), "load_1min": load}
                print(s, label, rows[s][label], flush=True)
        finally:
            for p in busy:
                p.kill()
    for r in rows.values():
        if "steps_per_s" in r["idle"] and "steps_per_s" in r["loaded"]:
            r["slowdown"] = r["idle"]["steps_per_s"] / r["loaded"]["steps_per_s"]
    with open(os.path.join(HERE, f"cli_load{args.tag}.json"), "w") as f:
        json.dump({"seconds": args.seconds, "cpus": os.cpu_count(), "rows": rows}, f, indent=1)
    lines = ["| spec | steps/s idle | steps/s, two neighbours | slowdown | threads idle / "
             "loaded | command s idle / loaded | stop reasons (loaded) |",
             "|---|---|---|---|---|---|---|"]
    for s, r in rows.items():
        i, lo = r["idle"], r["loaded"]
        if "error" in i or "error" in lo:
            lines.append(f"| {s} | {i.get('error', '')} | {lo.get('error', '')} | | | | |")
            continue
        stops = "; ".join(f"{k}: {v}" for k, v in (lo["stops"] or {}).items())
        lines.append(f"| {s} | {i['steps_per_s']:.1f} | {lo['steps_per_s']:.1f} | "
                     f"{r['slowdown']:.2f}× | {i['threads']} / {lo['threads']} | "
                     f"{i['command_s']:.0f} / {lo['command_s']:.0f} | {stops} |")
    worst = max((r["slowdown"] for r in rows.values() if "slowdown" in r), default=float("nan"))
    lines += ["", f"{len(specs)} specs, {args.seconds:g} s of training each, {os.cpu_count()} "
              f"CPUs; largest slowdown {worst:.2f}× (goal: at most 2×)."]
    with open(os.path.join(HERE, f"cli_load{args.tag}.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
