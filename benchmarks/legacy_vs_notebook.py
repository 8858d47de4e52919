"""convexgan's legacy mode against a transcription of the official notebook, per stage and per arithmetic path.

On the first N images of a CelebA tar (default 5,000, 4 -> 32, k = 20 30 40 100) it runs

- the notebook's ``layerwise()`` (``benchmarks/official_procogan.py``) on its float64 numpy CPU path and on its
  float32 torch CUDA-branch arithmetic (run on the CPU), noise from ``np.random.seed(seed)`` as the notebook;
- ``convexgan.progressive.train(mode="legacy")`` with ``legacy_dtype`` float32 and float64 (noise from torch,
  seeded per stage);

and prints one markdown table: per stage the constraint value ``||S_X - S_G||_2 / beta`` on the stage's noise
rows, ``||W||_F`` and the numerical rank of the stage input ``Zhat`` at the path's dtype (``matrix_rank``'s
rule). The noise rows differ between the notebook and convexgan (``--same-noise`` feeds convexgan's to the
notebook), so values of the infeasible stages, which depend on rounding, vary from run to run.

Usage::

    python benchmarks/legacy_vs_notebook.py --data ../shared/data/celeba10k_89x109.tar [--n-images 5000] \
        [--k 20 30 40 100] [--seed 0] [--same-noise] [--threads 1]
"""

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

import torch
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from official_procogan import layerwise, load_images  # noqa: E402

from convexgan.progressive import train  # noqa: E402
from convexgan.progressive.stages.legacy import noise_rows  # noqa: E402

COLUMNS = (("notebook", "float64", "notebook, float64 CPU path"),
           ("notebook", "float32", "notebook, float32 CUDA branch (on CPU)"),
           ("convexgan", "float32", "convexgan legacy float32"),
           ("convexgan", "float64", "convexgan legacy float64"))


def run_notebook(images, k, final, path, seed, same_noise):
    noise = (lambda i, m, d: noise_rows(seed, i, m, d).numpy()) if same_noise else None
    _, stages = layerwise(images, k, 4, final, path=path, seed=seed, noise=noise)
    return [(s["constraint_value"], s["weight_norm"], s["rank"]) for s in stages]


def run_convexgan(data, n_images, k, final, dtype, seed):
    resolutions = [4 * 2**i for i in range(len(k))]
    with tempfile.TemporaryDirectory() as out, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train(data, Path(out) / "run", resolutions=resolutions, k=k, n_images=n_images, subset="first", mode="legacy",
              legacy_dtype=dtype, device="cpu", seed=seed, progress=False)
        stages = json.loads((Path(out) / "run" / "report.json").read_text())["stages"]
    return [(s["constraint_value"], s["weight_norm"], s["input"]["rank"]) for s in stages]


def cell(value, norm, rank):
    text = f"{value:.6g}" if abs(value - 1) < 1e-3 else f"{value:.3g}"
    norm = f"{norm:.3g}" if norm < 1000 else f"{norm:.1e}".replace("e+", "e")
    return f"{text}, {norm}, {rank}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--n-images", type=int, default=5000)
    parser.add_argument("--k", type=int, nargs="+", default=[20, 30, 40, 100])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--same-noise", action="store_true", help="feed convexgan's noise rows to the notebook")
    parser.add_argument("--threads", type=int, default=1, help="BLAS and torch threads")
    args = parser.parse_args()
    final = 4 * 2 ** (len(args.k) - 1)
    torch.set_num_threads(args.threads)
    results, seconds = {}, {}
    with threadpool_limits(args.threads):
        images = load_images(args.data, args.n_images, final)
        for method, dtype, _ in COLUMNS:
            start = time.perf_counter()
            if method == "notebook":
                results[method, dtype] = run_notebook(images, args.k, final, dtype, args.seed, args.same_noise)
            else:
                results[method, dtype] = run_convexgan(args.data, args.n_images, args.k, final, dtype, args.seed)
            seconds[method, dtype] = time.perf_counter() - start
    print(f"{args.n_images} images, 4 -> {final}, k = {args.k}, seed {args.seed}"
          f"{', same noise rows' if args.same_noise else ''}; per stage: ||S_X - S_G||_2 / beta, ||W||_F, rank(Zhat)")
    print()
    print("| res / k | " + " | ".join(title for _, _, title in COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for i, k in enumerate(args.k):
        row = [cell(*results[method, dtype][i]) for method, dtype, _ in COLUMNS]
        print(f"| {4 * 2**i} / {k} | " + " | ".join(row) + " |")
    print("| seconds | " + " | ".join(f"{seconds[method, dtype]:.1f}" for method, dtype, _ in COLUMNS) + " |")


if __name__ == "__main__":
    main()
