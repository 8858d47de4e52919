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
memory ratio near 1 apart from the pixel cache, ``n * sum(r^2 C)`` bytes).

Usage::

    python benchmarks/scale.py [--data TAR | --utkface] [--n 10000] [--resolutions 4 8 16 32 64]
        [--k 20 30 40 100 175] [--eigensolver auto] [--workers N] [--cache auto|memory|disk|none]
        [--device cpu|cuda] [--sweep [--sweep-n 1000 2000 5000 10000]]

Smoke test: ``python benchmarks/scale.py --n 500 --resolutions 4 8 16``. Timings depend on the machine's load.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA_NAMES = {"celeba": "celeba10k_89x109.tar", "utkface": "utkface200.tar"}
DATA_PASS_PHASES = ("decode", "cache_read", "cache_write", "moments")
STAGE_PHASES = ("solve", "eigen_solve", "certificate", "grid", "checkpoint")


def shared_data(name):
    """The shared data file ``name`` (``../shared/data`` beside the checkout, else ``/work/shared/data``)."""
    for folder in (Path(__file__).resolve().parents[2] / "shared" / "data", Path("/work/shared/data")):
        if (folder / name).is_file():
            return folder / name
    return Path("/work/shared/data") / name


def worker(args):
    """Train once in this process; write the wall clock and the report as JSON to ``args.json``."""
    from convexgan.progressive import train

    options = {"resolutions": args.resolutions, "n_images": args.n, "eigensolver": args.eigensolver,
               "device": args.device, "cache": args.cache, "progress": False}
    if args.k:
        options["k"] = args.k
    if args.workers:
        options["workers"] = args.workers
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        train(str(args.data), Path(folder) / "run", **options)
        wall = time.perf_counter() - start
        report = json.loads((Path(folder) / "run" / "report.json").read_text())
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
        subprocess.run(command, check=True)
        return json.loads(out.read_text())


def megabytes(value):
    return "-" if value is None else f"{value / 2**20:.0f}"


def seconds(phases, name):
    return f"{phases[name]:.2f}" if name in phases else "-"


def print_run(result):
    """One table: the data pass, then a row per stage."""
    report = result["report"]
    n, device = report["n_images"], report["device"]
    passes = report.get("data_passes", [])
    data = passes[-1] if passes else {}
    cache = data.get("cache", {})
    print(f"\n{n} images, device {device}, workers {data.get('workers')}, cache {cache.get('mode')} "
          f"(reused: {cache.get('reused')}), end to end {result['wall_seconds']:.2f} s")
    print("| phase | res | n | device | " + " | ".join(f"{p} s" for p in DATA_PASS_PHASES + STAGE_PHASES)
          + " | stage s | peak RSS MiB (scope) | CUDA peak MiB | ||S_X-S_G||/beta |")
    print("|" + "---|" * (4 + len(DATA_PASS_PHASES) + len(STAGE_PHASES) + 4))
    phases = data.get("phases", {})
    print(f"| data pass | {','.join(map(str, report['config']['resolutions']))} | {n} | {device} | "
          + " | ".join(seconds(phases, p) for p in DATA_PASS_PHASES) + " | " + " | ".join("-" for _ in STAGE_PHASES)
          + f" | {data.get('seconds', 0):.2f} | {megabytes(data.get('peak_memory_bytes'))} "
          f"({data.get('peak_memory_scope')}) | {megabytes(data.get('cuda_peak_memory_bytes'))} | - |")
    for s in report["stages"]:
        phases = s.get("phases", {})
        print(f"| stage {s['index']} | {s['resolution']} | {n} | {device} | " + " | ".join("-" for _ in DATA_PASS_PHASES)
              + " | " + " | ".join(seconds(phases, p) for p in STAGE_PHASES)
              + f" | {s.get('wall_seconds', s['seconds']):.2f} | {megabytes(s.get('peak_memory_bytes'))} "
              f"({s.get('peak_memory_scope')}) | {megabytes(s.get('cuda_peak_memory_bytes'))} | "
              f"{s['constraint_value']:.10f} |")


def peak_of(report):
    """The largest peak resident memory of the run (data pass and stages)."""
    values = [p.get("peak_memory_bytes") or 0 for p in report.get("data_passes", [])]
    values += [s.get("peak_memory_bytes") or 0 for s in report["stages"]]
    return max(values)


def print_sweep(results):
    """Time per image and peak memory against n, as ratios to the smallest n."""
    print("\n| n | end to end s | s per 1k images | peak RSS MiB | n ratio | time ratio | memory ratio |")
    print("|---|---|---|---|---|---|---|")
    n0, t0, m0 = None, None, None
    for n, result in results:
        wall, peak = result["wall_seconds"], peak_of(result["report"])
        if n0 is None:
            n0, t0, m0 = n, wall, peak
        print(f"| {n} | {wall:.2f} | {1000 * wall / n:.3f} | {megabytes(peak)} | {n / n0:.2f} | {wall / t0:.2f} | "
              f"{peak / m0:.2f} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="tar archive of images (default: the CelebA 10k tar)")
    parser.add_argument("--utkface", action="store_true", help="use utkface200.tar (9,780 faces 200x200)")
    parser.add_argument("--n", type=int, default=10000, help="images (the first N)")
    parser.add_argument("--resolutions", type=int, nargs="+", default=[4, 8, 16, 32, 64])
    parser.add_argument("--k", type=int, nargs="+", help="kept components per stage (default: the official k)")
    parser.add_argument("--eigensolver", default="auto")
    parser.add_argument("--workers", type=int, help="decoding threads (default: the available cores)")
    parser.add_argument("--cache", choices=["auto", "memory", "disk", "none"], default="auto")
    parser.add_argument("--device", choices=["cpu", "cuda", "auto"], default="cpu")
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
          f"{args.eigensolver}, cache {args.cache}, device {args.device}")
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
