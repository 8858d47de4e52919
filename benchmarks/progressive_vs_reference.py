"""Progressive training: convexgan (streaming moments, top-k eigen-solves, exact stages) vs the official algorithm.

Both run on the same images (the first N of a CelebA tar, full frame, Pillow's default bicubic resize to the
final resolution, then to each stage's) with the official k = [20, 30, 40, 100, 175] truncated to the stages.
Each method runs in its own subprocess, which reports its wall-clock per stage and in total, and its peak
resident memory (``ru_maxrss``, and the peak minus the resident memory right after the imports). The constraint
value ``||S_X - S_G||_2 / beta`` is printed for both (convexgan: its report.json, exact stage input moment;
reference: ``||X^T X - G^T G||_2 / beta`` with its own noise rows, computed outside its timed region).

Usage::

    python benchmarks/progressive_vs_reference.py --data ../shared/data/celeba10k_89x109.tar --final 32 64 \
        [--n-images 10000] [--device cpu|cuda] [--reference-max-resolution 32] [--threads 1]

``--reference-max-resolution 32`` skips the reference for runs whose final resolution exceeds 32 (its full SVD
of a 10,000 x 12,288 matrix on 2 CPU cores takes very long); the table then says "skipped".
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OFFICIAL_K = [20, 30, 40, 100, 175]
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def worker(args):
    """Run one method in this process and write its measurements as JSON."""
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    baseline = _rss()
    final = args.final[0]
    resolutions = [4 * 2**i for i in range(int.bit_length(final // 4))]
    k = OFFICIAL_K[: len(resolutions)]
    start = time.perf_counter()
    if args.worker == "convexgan":
        from convexgan.progressive import train

        with tempfile.TemporaryDirectory() as out:
            train(args.data, Path(out) / "run", resolutions=resolutions, k=k, n_images=args.n_images,
                  subset="first", device=args.device, dtype="float32", progress=False)
            total = time.perf_counter() - start
            report = json.loads((Path(out) / "run" / "report.json").read_text())
        stages = [{"resolution": s["resolution"], "k": s["k"], "seconds": s["seconds"],
                   "constraint_value": s["constraint_value"], "weight_norm": s["weight_norm"]}
                  for s in report["stages"]]
        extra = {"moments_seconds": sum(report["moments_seconds"])}
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from official_procogan import layerwise, load_images

        load_start = time.perf_counter()
        images = load_images(args.data, args.n_images, final)
        extra = {"load_seconds": time.perf_counter() - load_start}
        _, stages = layerwise(images, k, 4, final, device=args.device)
        total = time.perf_counter() - start - sum(s.get("certificate_seconds", 0.0) for s in stages)
    result = {"total_seconds": total, "peak_rss": _rss(), "baseline_rss": baseline, "stages": stages, **extra}
    if args.device == "cuda":
        result["cuda_peak_bytes"] = torch.cuda.max_memory_allocated()
    Path(args.json).write_text(json.dumps(result))


def run_worker(method, args, final):
    """Start a worker subprocess for one method; return its measurements."""
    with tempfile.NamedTemporaryFile(suffix=".json") as fh:
        cmd = [sys.executable, __file__, "--worker", method, "--data", str(args.data), "--final", str(final),
               "--n-images", str(args.n_images), "--device", args.device, "--threads", str(args.threads),
               "--json", fh.name]
        env = dict(os.environ)
        if args.threads:
            env.update({name: str(args.threads) for name in THREAD_VARIABLES})
        subprocess.run(cmd, check=True, env=env)
        return json.loads(Path(fh.name).read_text())


def table(final, cg, ref):
    """Print the per-stage and total comparison."""
    mib = 2**20
    print(f"\n## 4 -> {final}: convexgan vs official algorithm ({'skipped' if ref is None else 'measured'})")
    print("| res | k | official s | convexgan s | official ||S_X-S_G||/beta | convexgan ||S_X-S_G||/beta |")
    print("|---|---|---|---|---|---|")
    for i, s in enumerate(cg["stages"]):
        r = ref["stages"][i] if ref else None
        print(f"| {s['resolution']} | {s['k']} | {r['seconds']:.2f} | {s['seconds']:.2f} | "
              f"{r['constraint_value']:.4g} | {s['constraint_value']:.10f} |" if r else
              f"| {s['resolution']} | {s['k']} | skipped | {s['seconds']:.2f} | skipped | {s['constraint_value']:.10f} |")
    print(f"| moments pass (convexgan, all stages) | | | {cg['moments_seconds']:.2f} | | |")
    if ref:
        print(f"| image loading (official) | | {ref['load_seconds']:.2f} | | | |")
    line = "| total wall-clock | | {} | {:.2f} | | |"
    print(line.format(f"{ref['total_seconds']:.2f}" if ref else "skipped", cg["total_seconds"]))
    print(f"| peak RSS (MiB) | | {ref['peak_rss'] / mib:.0f} |" if ref else "| peak RSS (MiB) | | skipped |",
          f"{cg['peak_rss'] / mib:.0f} | | |")
    print(f"| peak RSS above post-import baseline (MiB) | | "
          f"{(ref['peak_rss'] - ref['baseline_rss']) / mib:.0f} |" if ref else "| peak RSS above baseline (MiB) | | skipped |",
          f"{(cg['peak_rss'] - cg['baseline_rss']) / mib:.0f} | | |")
    if "cuda_peak_bytes" in cg:
        print(f"| CUDA peak allocated (MiB) | | {ref['cuda_peak_bytes'] / mib:.0f} |" if ref else "| CUDA peak | | skipped |",
              f"{cg['cuda_peak_bytes'] / mib:.0f} | | |")
    if ref:
        print(f"\nspeed-up (official / convexgan wall-clock): {ref['total_seconds'] / cg['total_seconds']:.1f}x; "
              f"peak RSS ratio (convexgan / official): {cg['peak_rss'] / ref['peak_rss']:.3f}; "
              f"above baseline: {(cg['peak_rss'] - cg['baseline_rss']) / (ref['peak_rss'] - ref['baseline_rss']):.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" /
                        "celeba10k_89x109.tar")
    parser.add_argument("--final", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--n-images", type=int, default=10000)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--reference-max-resolution", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS/OpenMP/torch threads of both workers (0: library defaults). On a shared machine "
                             "multi-threaded LAPACK can be 10x slower than one thread")
    parser.add_argument("--worker", choices=["convexgan", "official"], help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    import torch

    device_name = torch.cuda.get_device_name() if args.device == "cuda" else "CPU"
    print(f"data {args.data}, first {args.n_images} images, device {args.device} ({device_name}), "
          f"threads per worker {args.threads or 'library default'}", flush=True)
    for final in args.final:
        cg = run_worker("convexgan", args, final)
        ref = run_worker("official", args, final) if final <= args.reference_max_resolution else None
        table(final, cg, ref)
    return 0


if __name__ == "__main__":
    sys.exit(main())
