"""One command for a lent GPU: the CUDA tests, then the scale runs and the official algorithm, in one table.

On a CUDA machine with ``../shared/data`` beside the checkout (or ``$CONVEXGAN_SHARED_DATA``)::

    python benchmarks/gpu_check.py            # about 8 minutes in all at most (--budget)

runs, each in its own subprocess with its own time limit:

1. ``pytest -m cuda tests``: the CUDA-marked tests (GPU runs against CPU runs);
2. ``convexgan`` CelebA 10k 4 -> 64 (official k) through ``benchmarks/scale.py``'s worker;
3. ``convexgan`` UTKFace 9,780 4 -> 128 with k 20 30 40 100 175 300;
4. the official algorithm (``benchmarks/official_procogan.py``, CUDA path) on CelebA 10k 4 -> 64, on the same card;

and prints one Markdown table: seconds end to end, the data pass, each stage, the CUDA peak, the largest
``||S_X - S_G||_2 / beta`` of the run, and the card's name. A step that fails or runs past its limit is a row that
says so; the others still run. ``--smoke --device cpu`` checks the script itself on a machine without a GPU
(300 images, 4 -> 16, no tests).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from scale import shared_data

UTKFACE_K = [20, 30, 40, 100, 175, 300]


def card_name(device):
    """The CUDA card's name, or ``cpu``."""
    if device != "cuda":
        return "cpu"
    import torch

    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA device"


def run_step(command, limit):
    """Run ``command`` with a wall-clock ``limit``; return (seconds, exit code or 'timeout', output tail)."""
    start = time.perf_counter()
    try:
        done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=limit)
        status, output = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as stopped:
        status, output = "timeout", str(stopped.stdout or "")
    return time.perf_counter() - start, status, output[-2000:]


def cuda_tests(limit):
    """The CUDA-marked tests: one row with pytest's summary line."""
    seconds, status, output = run_step([sys.executable, "-m", "pytest", "-m", "cuda", "-q", "-p", "no:cacheprovider",
                                        str(HERE.parent / "tests")], limit)
    summary = re.findall(r"=+ (.+ in [0-9.]+s.*) =+", output)
    return {"step": "pytest -m cuda", "seconds": seconds, "status": status,
            "detail": summary[-1] if summary else output.strip().splitlines()[-1:] or ["no output"]}


def convexgan_run(label, data, n, resolutions, k, device, limit):
    """A ``convexgan`` training run through ``scale.py``'s worker: its report's phases and certificates."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "result.json"
        command = [sys.executable, str(HERE / "scale.py"), "--worker", "--json", str(out), "--data", str(data),
                   "--n", str(n), "--device", device, "--resolutions", *map(str, resolutions)]
        if k:
            command += ["--k", *map(str, k)]
        seconds, status, output = run_step(command, limit)
        if status != 0 or not out.is_file():
            return {"step": label, "seconds": seconds, "status": status, "detail": output.strip()[-300:]}
        result = json.loads(out.read_text())
    report = result["report"]
    data_pass = (report.get("data_passes") or [{}])[-1]
    stages = report["stages"]
    cuda = [s.get("cuda_peak_memory_bytes") or 0 for s in stages]
    return {"step": label, "seconds": result["wall_seconds"], "status": 0,
            "data_pass": data_pass.get("seconds"),
            "stages": {s["resolution"]: s.get("wall_seconds", s["seconds"]) for s in stages},
            "cuda_peak": max(cuda) if cuda else None, "constraint": max(s["constraint_value"] for s in stages)}


def official_run(data, n, final, device, limit):
    """The official algorithm's 4 -> ``final`` through ``progressive_vs_reference.py``'s worker."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "official.json"
        command = [sys.executable, str(HERE / "progressive_vs_reference.py"), "--worker", "official", "--data",
                   str(data), "--final", str(final), "--n-images", str(n), "--device", device, "--threads", "0",
                   "--json", str(out)]
        seconds, status, output = run_step(command, limit)
        if status != 0 or not out.is_file():
            return {"step": f"official 4 -> {final}", "seconds": seconds, "status": status,
                    "detail": output.strip()[-300:]}
        result = json.loads(out.read_text())
    stages = result["stages"]
    return {"step": f"official 4 -> {final}", "seconds": result["total_seconds"], "status": 0,
            "data_pass": result.get("load_seconds"), "stages": {s["resolution"]: s["seconds"] for s in stages},
            "cuda_peak": result.get("cuda_peak_bytes"), "constraint": max(s["constraint_value"] for s in stages)}


def table(rows, card):
    """One Markdown table of every step."""
    resolutions = sorted({r for row in rows for r in row.get("stages", {})})
    print(f"\ncard: {card}")
    print("| step | status | end to end s | data pass s | " + " | ".join(f"{r}x{r} s" for r in resolutions)
          + " | CUDA peak MiB | max ||S_X-S_G||/beta |")
    print("|" + "---|" * (len(resolutions) + 6))
    for row in rows:
        if row["status"] != 0 or "stages" not in row:
            detail = str(row.get("detail", "")).replace("|", "/").replace("\n", " ")
            print(f"| {row['step']} | {row['status']} | {row['seconds']:.2f} | {detail} |" + " |" * (len(resolutions) + 2))
            continue
        stages = " | ".join(f"{row['stages'][r]:.2f}" if r in row["stages"] else "-" for r in resolutions)
        peak = "-" if not row.get("cuda_peak") else f"{row['cuda_peak'] / 2**20:.0f}"
        data_pass = "-" if row.get("data_pass") is None else f"{row['data_pass']:.2f}"
        print(f"| {row['step']} | ok | {row['seconds']:.2f} | {data_pass} | {stages} | {peak} | "
              f"{row['constraint']:.10f} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    parser.add_argument("--budget", type=float, default=480.0, help="seconds for everything (default 480)")
    parser.add_argument("--smoke", action="store_true", help="300 images, 4 -> 16, no tests: check the script")
    args = parser.parse_args(argv)
    celeba, utkface = shared_data("celeba10k_89x109.tar"), shared_data("utkface200.tar")
    missing = [str(p) for p in (celeba, utkface) if not p.is_file()]
    if missing:
        parser.error(f"the shared data is missing: {', '.join(missing)} (set CONVEXGAN_SHARED_DATA)")
    if args.smoke:
        plan = [lambda limit: convexgan_run("convexgan CelebA 4 -> 16", celeba, 300, [4, 8, 16], None, args.device, limit),
                lambda limit: convexgan_run("convexgan UTKFace 4 -> 16", utkface, 300, [4, 8, 16], UTKFACE_K[:3],
                                            args.device, limit),
                lambda limit: official_run(celeba, 300, 16, args.device, limit)]
        shares = [1 / 3, 1 / 3, 1 / 3]
    else:
        plan = [cuda_tests,
                lambda limit: convexgan_run("convexgan CelebA 10k 4 -> 64", celeba, 10000, [4, 8, 16, 32, 64], None,
                                            args.device, limit),
                lambda limit: convexgan_run("convexgan UTKFace 9,780 4 -> 128", utkface, 9780,
                                            [4, 8, 16, 32, 64, 128], UTKFACE_K, args.device, limit),
                lambda limit: official_run(celeba, 10000, 64, args.device, limit)]
        shares = [0.15, 0.2, 0.35, 0.3]
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    deadline = time.perf_counter() + args.budget
    rows = []
    for step, share in zip(plan, shares):
        left = deadline - time.perf_counter()
        rows.append(step(max(10.0, min(left, share * args.budget * 1.5))))
        print(f"{rows[-1]['step']}: {rows[-1]['status']} in {rows[-1]['seconds']:.1f} s", flush=True)
    table(rows, card_name(args.device))
    return 0 if all(row["status"] == 0 for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
