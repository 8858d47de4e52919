"""The stages bar's estimate of the remaining time against the real remaining time, per stage.

For each run (CelebA 4 -> 64, UTKFace 4 -> 128 by default) it trains into a temporary folder (or reads the
``report.json`` of ``--runs`` folders), then prints for every stage boundary: the estimate the bar shows once the
stage has ended (tqdm's ``elapsed * (1 - frac) / frac`` with the bar's cost model,
``convexgan.progressive.runtime.progress``), the real remaining seconds of the later stages, and their ratio.
``--fit`` also prints the least-squares constant of each eigen-path's cost law on the runs' stages (seconds
minus the fixed part over the law's work), to refit ``COSTS``; ``--record FILE`` writes the stage timings as
the test fixture (tests/progressive/data/stage_timings.json).

Run (idle machine): python benchmarks/stages_bar.py [--n 2000] [--fit]
Check at a tiny size: python benchmarks/stages_bar.py --n 40
"""

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from convexgan.progressive import train
from convexgan.progressive.runtime.progress import (
    COSTS,
    FIXED_SECONDS,
    stage_cost,
    stage_weights,
)
from convexgan.progressive.stages.policy import eigen_path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
RUNS = {"celeba 4->64": ("celeba10k_89x109.tar", [4, 8, 16, 32, 64]),
        "utkface 4->128": ("utkface200.tar", [4, 8, 16, 32, 64, 128])}


def timings(report):
    """The stages of a report as ``{d, k, n, method, seconds}`` rows."""
    return [{"d": s["d"], "k": s["k"], "n": report["n_images"], "method": s["eigensolver"]["method"].split()[0],
             "seconds": s["seconds"]} for s in report["stages"]]


def remaining(rows):
    """``[(stage, estimated, actual)]``: the bar's estimate of the remaining seconds after each stage but the last."""
    weights = stage_weights([r["d"] for r in rows], [r["k"] for r in rows], [r["method"] for r in rows], rows[0]["n"])
    out = []
    for i in range(len(rows) - 1):
        frac, elapsed = sum(weights[: i + 1]), sum(r["seconds"] for r in rows[: i + 1])
        out.append((i, elapsed * (1 - frac) / frac, sum(r["seconds"] for r in rows[i + 1 :])))
    return out


def fit(rows):
    """Least-squares constant per path: sum(t w) / sum(w^2), t = seconds - fixed, w = the law's work at c = 1."""
    sums = {}
    for r in rows:
        key = "iterative" if eigen_path(r["method"]) == "dense" and r["method"] != "dense" else eigen_path(r["method"])
        work = (stage_cost(r["d"], r["k"], r["method"], r["n"]) - FIXED_SECONDS) / COSTS[key]
        a, b = sums.get(key, (0.0, 0.0))
        sums[key] = (a + (r["seconds"] - FIXED_SECONDS) * work, b + work * work)
    return {key: a / b for key, (a, b) in sums.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="images per run (default %(default)s)")
    parser.add_argument("--runs", nargs="*", type=Path, help="read these run folders instead of training")
    parser.add_argument("--eigensolver", default="auto")
    parser.add_argument("--fit", action="store_true", help="print each path's fitted constant")
    parser.add_argument("--record", type=Path, help="write the stage timings to this JSON file")
    args = parser.parse_args()
    recorded = {}
    if args.runs:
        for folder in args.runs:
            recorded[str(folder)] = timings(json.loads((folder / "report.json").read_text()))
    else:
        for name, (file, resolutions) in RUNS.items():
            with tempfile.TemporaryDirectory() as tmp:
                start = time.perf_counter()
                train(DATA / file, Path(tmp) / "run", resolutions=resolutions, n_images=args.n,
                      eigensolver=args.eigensolver, progress=False)
                recorded[name] = timings(json.loads((Path(tmp) / "run" / "report.json").read_text()))
                print(f"{name}: trained in {time.perf_counter() - start:.1f} s")
    for name, rows in recorded.items():
        print(f"\n{name} (n = {rows[0]['n']})\nstage  method     estimated s   actual s   ratio")
        for i, estimated, actual in remaining(rows):
            print(f"{i:5d}  {rows[i]['method']:9s} {estimated:12.2f} {actual:10.2f} {estimated / actual:7.2f}")
    every = [r for rows in recorded.values() for r in rows]
    if args.fit:
        print("\nfitted COSTS:", {key: f"{value:.3e}" for key, value in fit(every).items()})
    if args.record:
        provenance = {"command": " ".join(["python", *sys.argv]), "machine": platform.node(),
                      "cores": len(os.sched_getaffinity(0)), "date": time.strftime("%F")}
        args.record.write_text(json.dumps({"provenance": provenance,
                                           "runs": recorded}, indent=1) + "\n")


if __name__ == "__main__":
    main()
