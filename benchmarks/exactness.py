"""Every stage's certificate against the data: exact ||S_X - S_G||_2 / beta from integer pixel sums (issue 25).

    python benchmarks/exactness.py [--data-dir ../shared/data] [--out /tmp/exactness] [--tiny]

Trains with default options (float32 moments, ``eigensolver='auto'``, the default ``k`` schedule, pixel cache on
disk) on CelebA (random 2,000, 4 -> 32), a seeded CIFAR-like synthetic set (5,000 colour images 32 x 32 with a
decaying spectrum, unseen by any test, 4 -> 32) and UTKFace (random 1,000, 4 -> 128), then recomputes every stage
from the run's own 8-bit pixel cache, independently of the package's arithmetic:

- ``d <= 4096``: :math:`S_X = (n P^T P - s s^T) / (255^2 n^2)` with :math:`P^T P` and :math:`s` exact integers
  (the float64 product of integer matrices with entries <= 255 is exact below :math:`2^{53}`; the combination in
  int64), rounded once; the exact value is the largest absolute eigenvalue of :math:`S_X - S_G` in float64
  (rounding of order :math:`d u \\lambda_1 / \\beta`, about 1e-12 here);
- ``d > 4096`` (no ``d x d`` matrix): :math:`S_X - S_G` is zero outside the span :math:`Q` of the centred pixel rows
  and of the rows of ``F`` (and ``b``), so its norm is that of the ``m x m`` matrix
  :math:`Q^T (S_X - S_G) Q`, ``m <= n + D + 1``, formed in float64 from the integer pixels (rounding of order
  :math:`n u \\lambda_1 / \\beta`).

``S_G = F^T F + b b^T`` comes from the stored stage (:meth:`ProgressiveGenerator.affine_map`). A stage is ``ok``
when its exact value is at most ``1 + 1e-6`` and at most the reported value plus that rounding. ``--tiny`` runs
every set at 60 images, 4 -> 8 (a check that the script works, not a measurement). ``--cost`` times only the
moment sums of 2,000 random 32 x 32 colour images (``d = 3,072``, chunks of 256): the exact sums (float32 products
on 258-row blocks, the default; float64 products) against the float32 products of shifted rows used before.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from convexgan.data import toy_images
from convexgan.progressive import load_generator, train
from convexgan.progressive.pipeline.moments import _Sums
from convexgan.progressive.pipeline.pixels import pixels_path

DENSE_EXACT_D = 4096
TOLERANCE = 1e-6


def exact_moment(P):
    """:math:`S_X` from the integer pixel matrix ``P`` (n, d) uint8: exact integers, one rounding at the end."""
    n = P.shape[0]
    Q = P.astype(np.float64)
    G = (Q.T @ Q).astype(np.int64)  # exact: integer entries below 255^2 n < 2^53
    s = P.sum(0, dtype=np.int64)
    return (n * G - np.outer(s, s)).astype(np.float64) / float(255**2 * n * n)


def exact_constraint(P, F, b):
    """:math:`\\|S_X - S_G\\|_2` and its float64 rounding level (see the module docstring)."""
    n, d = P.shape
    eps = np.finfo(np.float64).eps
    if d <= DENSE_EXACT_D:
        S_X = exact_moment(P)
        D = S_X - (F.T @ F + np.outer(b, b))
        return float(np.abs(np.linalg.eigvalsh(D)).max()), 10 * d * eps * np.linalg.norm(S_X, 2)
    s = P.sum(0, dtype=np.int64)
    centred = (P.astype(np.float64) * n - s) / (255 * n)  # rows x_i - mu, from exact integers n p_i - s
    Q, _ = np.linalg.qr(np.concatenate([centred.T, F.T, b[:, None]], axis=1))
    XQ, FQ, bQ = centred @ Q, F @ Q, b @ Q
    S_X = XQ.T @ XQ / n
    D = S_X - FQ.T @ FQ - np.outer(bQ, bQ)
    return float(np.abs(np.linalg.eigvalsh(D)).max()), 10 * (n + d) * eps * np.linalg.norm(S_X, 2)


def stage_rows(name, run):
    """One row per stage: reported and exact constraint values."""
    report = json.loads((run / "report.json").read_text())
    generator = load_generator(run)
    rows = []
    for i, stage in enumerate(report["stages"]):
        r = stage["resolution"]
        F, b = generator.affine_map(i)
        P = np.fromfile(pixels_path(run, 0, 1, r), np.uint8).reshape(report["n_images"], -1)
        exact, rounding = exact_constraint(P, F.numpy(), b.numpy())
        beta, reported = stage["beta"], stage["constraint_value"]
        rows.append({"data": name, "stage": i, "resolution": r, "d": P.shape[1], "k": stage["k"],
                     "path": stage["eigensolver"]["path"], "certificate": stage["certificate"]["kind"],
                     "reported": reported, "exact": exact / beta, "rounding": float(rounding / beta),
                     "ok": bool(exact / beta <= 1 + TOLERANCE and exact / beta <= reported + rounding / beta)})
    return rows


def moment_cost(n=2000, d=3072, chunk=256, repeats=3):
    """Seconds of the exact sums (float32 and float64 products) against float32 products of shifted rows."""
    P = np.random.default_rng(0).integers(0, 256, (n, d), dtype=np.uint8)
    cpu = torch.device("cpu")

    def exact(dtype):
        sums = _Sums(d, cpu, dtype)
        for i in range(0, n, chunk):
            sums.add(P[i : i + chunk], cpu)
        sums.flush()

    def rounded():
        total = torch.zeros(d, d, dtype=torch.float32)
        for i in range(0, n, chunk):
            Y = torch.from_numpy(P[i : i + chunk]).to(torch.float32).div_(255).sub_(0.5)
            total.addmm_(Y.T, Y)
        torch.zeros(d, d, dtype=torch.float64).add_(total)

    times = {}
    for name, work in (("float32 products of shifted rows (before)", rounded),
                       ("exact, float32 258-row blocks (default)", lambda: exact(torch.float32)),
                       ("exact, float64 products", lambda: exact(torch.float64))):
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            work()
            best = min(best, time.perf_counter() - start)
        times[name] = best
        print(f"moments of {n} x {d} pixels, {name}: {best:.3f} s")
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared/data"))
    parser.add_argument("--out", default="/tmp/exactness")
    parser.add_argument("--tiny", action="store_true", help="60 images, 4 -> 8: check that the script runs")
    parser.add_argument("--cost", action="store_true", help="only time the moment sums (2,000 x 3,072 pixels)")
    args = parser.parse_args()
    if args.cost:
        moment_cost(n=200 if args.tiny else 2000)
        return
    data = Path(args.data_dir)
    out = Path(args.out)
    cifar_n = 60 if args.tiny else 5000
    sets = [("CelebA random 2000", data / "celeba10k_89x109.tar", 2000, [4, 8, 16, 32]),
            ("CIFAR-like synthetic (seed 25)", toy_images(cifar_n, 32, components=300, seed=25), cifar_n,
             [4, 8, 16, 32]),
            ("UTKFace random 1000", data / "utkface200.tar", 1000, [4, 8, 16, 32, 64, 128])]
    rows = []
    for index, (name, source, n, resolutions) in enumerate(sets):
        if isinstance(source, Path) and not source.exists():
            print(f"{name}: {source} is absent, skipped")
            continue
        if args.tiny:
            n, resolutions = 60, [4, 8]
        run = out / f"run{index}"
        train(source, run, resolutions=resolutions, n_images=n, progress=False, cache="disk")
        rows += stage_rows(name, run)
    print(f"{'data':<32} {'stage':>5} {'d':>6} {'k':>4} {'path':>8} {'reported - 1':>13} {'exact - 1':>13} ok")
    for row in rows:
        print(f"{row['data']:<32} {row['stage']:>5} {row['d']:>6} {row['k']:>4} {row['path']:>8} "
              f"{row['reported'] - 1:>13.3e} {row['exact'] - 1:>13.3e} {row['ok']}")
    (out / "exactness.json").write_text(json.dumps(rows, indent=1))
    print(f"all ok: {all(row['ok'] for row in rows)}; table in {out / 'exactness.json'}")


if __name__ == "__main__":
    main()
