"""Progressive training at scale: seconds per phase, peak memory per stage and the constraint value, per run.

Each run trains ``convexgan.progressive.train`` on the first N images of a tar archive of real pictures in its
own subprocess (so that the process peak is its own) and prints one table: the data pass (decode, cache,
moments) and one row per stage (resolution x n x device) with the seconds of every phase the run's
report.json records (solve, eigen-solve and certificate when the solver records them, sampling grid,
checkpoint), the stage's peak resident memory (``stage``: reset before the stage through
``/proc/self/clear_refs``; ``process``: the process peak where that is not allowed), the CUDA peak, and
``||S_X - S_G||_2 / beta``. End-to-end seconds are the wall clock around ``train``.

``--sweep`` trains once per n in ``--sweep-n`` (default 1k, 2k, 5k, 10k) and prints time per image and peak
memory against n, each as a ratio to the smallest n (time linear in n: time ratio = n ratio; memory flat:
memory ratio near 1 apart from the pixel cache, ``n * sum(r^2 C)`` bytes, also printed without it).

Usage::

    python benchmarks/scale.py [--data TAR | --utkface] [--n 10000] [--resolutions 4 8 16 32 64]
        [--k 20 30 40 100 175] [--eigensolver auto] [--workers N] [--cache auto|memory|disk|none] [--jpeg-draft]
        [--device cpu|cuda] [--keep DIR] [--sweep [--sweep-n 1000 2000 5000 10000]]

Smoke test: ``python benchmarks/scale.py --n 500 --resolutions 4 8 16``. Timings depend on the machine's load.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

DATA_NAMES = {"celeba": "celeba10k_89x109.tar", "utkface": "utkface200.tar"}
PHASE_ORDER = ("decode", "cache_read", "cache_write", "moments", "solve", "eigen_solve", "certificate", "grid",
               "report", "checkpoint")


def shared_data(name):
    """The shared data file ``name``: in ``$CONVEXGAN_SHARED_DATA``, else in ``../shared/data`` beside the checkout."""
    folder = os.environ.get("CONVEXGAN_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data"
    return Path(folder) / name


def worker(args):
    """Train once in this process; write the wall clock and the report as JSON to ``args.json``."""
    from convexgan.exceptions import SquashedFramesWarning
    from convexgan.progressive import train

    # Both data sets' frames are resized whole, as the official code does (CelebA's 89 x 109 frames squashed).
    warnings.filterwarnings("ignore", category=SquashedFramesWarning)

    options = {"resolutions": args.resolutions, "n_images": args.n, "eigensolver": args.eigensolver,
               "device": args.device, "cache": args.cache, "progress": False}
    if args.k:
        options["k"] = args.k
    if args.workers:
        options["workers"] = args.workers
    if args.jpeg_draft:
        options["jpeg_draft"] = True
    with tempfile.TemporaryDirectory() as folder:
        run = Path(args.keep) if args.keep else Path(folder) / "run"
        start = time.perf_counter()
        train(str(args.data), run, **options)
        wall = time.perf_counter() - start
        report = json.loads((run / "report.json").read_text())
    Path(args.json).write_text(json.dumps({"wall_seconds": wall, "report": report}))
    return 0


def run_once(args, n):
    """Train in a subprocess with ``n`` images; return its ``{"wall_seconds", "report"}``."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "result.json"
        command = [sys.executable, __file__, "--worker", "--json", str(out), "--data", str(args.data), "--n", str(n),
                   "--resolutions", *map(str, args.resolutions), "--eigensolver", args.eigensolver,
                   "--cache", args.cache, "--device", args.device]
        command += ["--k", *map(str, args.k)] if args.k else []
        command += ["--workers", str(args.workers)] if args.workers else []
        command += ["--jpeg-draft"] if args.jpeg_draft else []
        command += ["--keep", f"{args.keep}/n{n}" if args.sweep else args.keep] if args.keep else []
        subprocess.run(command, check=True)
        return json.loads(out.read_text())


def megabytes(value):
    return "-" if value is None else f"{value / 2**20:.0f}"


def seconds(phases, name):
    return f"{phases[name]:.2f}" if name in phases else "-"


def phase_names(report):
    """The phases recorded by the run: the known ones in pipeline order, then any other (e.g. operator passes)."""
    seen = []
    for part in report.get("data_passes", [])[-1:] + report["stages"]:
        seen += [name for name in part.get("phases", {}) if name not in seen]
    known = [name for name in PHASE_ORDER if name in seen]
    return known + [name for name in seen if name not in known]


def print_run(result):
    """One table: the data pass, then a row per stage, with a column per recorded phase."""
    report = result["report"]
    n, device = report["n_images"], report["device"]
    data = (report.get("data_passes") or [{}])[-1]
    cache = data.get("cache", {})
    names = phase_names(report)
    print(f"\n{n} images, device {device}, workers {data.get('workers')}, cache {cache.get('mode')} "
          f"(reused: {cache.get('reused')}), end to end {result['wall_seconds']:.2f} s, run peak RSS "
          f"{megabytes(report.get('peak_memory_bytes'))} MiB")
    print("| part | res | n | device | " + " | ".join(f"{p} s" for p in names)
          + " | part s | peak RSS MiB (scope) | CUDA peak MiB | ||S_X-S_G||/beta |")
    print("|" + "---|" * (len(names) + 8))
    rows = [("data pass", ",".join(map(str, data.get("resolutions", []))), data, "-")]
    rows += [(f"stage {s['index']}", s["resolution"], s, f"{s['constraint_value']:.10f}") for s in report["stages"]]
    for label, resolution, part, value in rows:
        phases = part.get("phases", {})
        total = part.get("wall_seconds", part.get("seconds", 0.0))
        print(f"| {label} | {resolution} | {n} | {device} | " + " | ".join(seconds(phases, p) for p in names)
              + f" | {total:.2f} | {megabytes(part.get('peak_memory_bytes'))} ({part.get('peak_memory_scope')}) | "
              f"{megabytes(part.get('cuda_peak_memory_bytes'))} | {value} |")


def peak_of(report):
    """The largest peak resident memory of the run (data pass and stages)."""
    values = [p.get("peak_memory_bytes") or 0 for p in report.get("data_passes", [])]
    values += [s.get("peak_memory_bytes") or 0 for s in report["stages"]]
    return max(values + [report.get("peak_memory_bytes") or 0])


def print_sweep(results):
    """Time per image and peak memory against n, as ratios to the smallest n."""
    print("\n| n | end to end s | s per 1k images | peak RSS MiB | pixel cache MiB | n ratio | time ratio | "
          "memory ratio | memory ratio without the cache |")
    print("|---|---|---|---|---|---|---|---|---|")
    n0, t0, m0, c0 = None, None, None, None
    for n, result in results:
        wall, peak = result["wall_seconds"], peak_of(result["report"])
        cache = sum(p["cache"]["bytes"] for p in result["report"].get("data_passes", [])[-1:])
        if n0 is None:
            n0, t0, m0, c0 = n, wall, peak, cache
        print(f"| {n} | {wall:.2f} | {1000 * wall / n:.3f} | {megabytes(peak)} | {megabytes(cache)} | {n / n0:.2f} | "
              f"{wall / t0:.2f} | {peak / m0:.2f} | {(peak - cache) / (m0 - c0):.2f} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="tar archive of images (default: celeba10k_89x109.tar in "
                        "$CONVEXGAN_SHARED_DATA or ../shared/data)")
    parser.add_argument("--utkface", action="store_true", help="use utkface200.tar (9,780 faces 200x200)")
    parser.add_argument("--n", type=int, default=10000, help="images (the first N)")
    parser.add_argument("--resolutions", type=int, nargs="+", default=[4, 8, 16, 32, 64])
    parser.add_argument("--k", type=int, nargs="+", help="kept components per stage (default: the official k)")
    parser.add_argument("--eigensolver", default="auto")
    parser.add_argument("--workers", type=int, help="decoding threads (default: the available cores)")
    parser.add_argument("--cache", choices=["auto", "memory", "disk", "none"], default="auto")
    parser.add_argument("--jpeg-draft", action="store_true", help="decode JPEGs at reduced size (changes pixels)")
    parser.add_argument("--device", choices=["cpu", "cuda", "auto"], default="cpu")
    parser.add_argument("--keep", help="train into this folder (a new one; with --sweep, DIR/nN per run) and keep it")
    parser.add_argument("--sweep", action="store_true", help="one run per n in --sweep-n")
    parser.add_argument("--sweep-n", type=int, nargs="+", default=[1000, 2000, 5000, 10000])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.data is None:
        args.data = shared_data(DATA_NAMES["utkface" if args.utkface else "celeba"])
    if args.worker:
        return worker(args)
    if not args.data.is_file():
        parser.error(f"--data {args.data} does not exist")
    print(f"data {args.data}, resolutions {args.resolutions}, k {args.k or 'official'}, eigensolver "
          f"{args.eigensolver}, cache {args.cache}, device {args.device}, JPEG draft {args.jpeg_draft}")
    sizes = sorted(args.sweep_n) if args.sweep else [args.n]
    results = []
    for n in sizes:
        result = run_once(args, n)
        print_run(result)
        results.append((n, result))
    if args.sweep:
        print_sweep(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
