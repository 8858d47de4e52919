r"""Legacy against principled progressive training
===============================================

The official ProCoGAN input of stage :math:`i > 1` is :math:`\hat Z_i = [\mathrm{up}(G_{i-1}), 1]`, whose rank is
at most :math:`k_{i-1} + 1` in exact arithmetic. When :math:`k_i > \operatorname{rank}(\hat Z_i)` the stage problem

.. math::  \min_{W} \|W\|_F^2 \quad \text{s.t.} \quad \|S_X - W^T S_{\hat Z} W\|_2 \le \beta

is infeasible (:math:`W^T S_{\hat Z} W` has rank at most :math:`\operatorname{rank}(\hat Z) < k`, while every
feasible :math:`S_G` has :math:`\lambda_i(S_G) \ge \lambda_i - \beta > 0` for :math:`i \le k`), and the closed form
:math:`W = Q_k \operatorname{diag}(\sqrt{(\lambda_k - \beta)/s_k^2}) V_k^T` divides by singular values that are
rounding noise (docs/theory.md section 7). The legacy mode reproduces the official code's arithmetic with a
``RankDefectWarning`` (on the CPU its float64 numpy path: dense :math:`W` with entries near :math:`10^{16}`, whose
rounding then fills the next input's remaining pixel directions); the principled mode adds
:math:`\max(k_i - \operatorname{rank}, 0)` fresh latent columns so that every stage is feasible and exact.

The script trains both modes on the same digits (stages 2 -> 4 -> 8, k = 3, 8, 20, 8 latent columns; legacy on
its default path, float64 on the CPU) and shows, per stage, the numerical input rank against k,
:math:`\|W_i\|_F`, the constraint value :math:`\|S_X - S_G\|_2 / \beta` (1 at the optimum) and the final samples.
It checks that every principled stage is feasible with constraint value 1, and that the legacy stages with
:math:`k > \operatorname{rank}` warn, violate the constraint and have weights orders of magnitude larger.

Run: ``python examples/plot_legacy_vs_principled.py [--out DIR] [--fast]``.
"""

import argparse
import json
import tempfile
import warnings
from pathlib import Path

import numpy as np

from convexgan.demo import digit_images
from convexgan.plotting import image_grid
from convexgan.progressive import RankDefectWarning, train

SETTING = {"resolutions": (2, 4, 8), "k": (3, 8, 20), "latent": 8}
MODES = ("principled", "legacy")


def run(images, mode, seed, progress):
    """Train one mode in a temporary folder; return ``(stage reports, final samples, warning messages)``."""
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RankDefectWarning)
        generator = train(images, Path(folder) / mode, mode=mode, seed=seed, progress=progress, **SETTING)
        stages = json.loads((Path(folder) / mode / "report.json").read_text())["stages"]
    samples = generator.sample(16, seed=seed, clip=True)
    return stages, samples, [str(w.message) for w in caught if issubclass(w.category, RankDefectWarning)]


def main(argv=None):
    """Train both modes, print and check the table, draw; return the table rows."""
    parser = argparse.ArgumentParser(description="Legacy against principled progressive training")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("convexgan_examples"), help="output folder")
    parser.add_argument("--fast", action="store_true", help="no progress bars (for tests)")
    args = parser.parse_args(argv)
    from matplotlib.figure import Figure

    images = digit_images()
    results = {mode: run(images, mode, args.seed, not args.fast) for mode in MODES}
    rows = []
    print(f"{'mode':>10} {'res':>4} {'k':>4} {'input rank':>10} {'||W||_F':>11} {'constraint value':>17}")
    for mode in MODES:
        for s in results[mode][0]:
            row = {"mode": mode, "resolution": s["resolution"], "k": s["k"], "rank": s["input"]["rank"],
                   "weight_norm": s["weight_norm"], "constraint_value": s["constraint_value"]}
            rows.append(row)
            print(f"{mode:>10} {row['resolution']:>4} {row['k']:>4} {row['rank']:>10} {row['weight_norm']:11.4g} "
                  f"{row['constraint_value']:17.10g}")
    for message in results["legacy"][2]:
        print(f"RankDefectWarning: {message[:100]}...")
    principled = [r for r in rows if r["mode"] == "principled"]
    legacy = [r for r in rows if r["mode"] == "legacy"]
    defective = [r for r in legacy if r["k"] > r["rank"]]
    assert all(r["rank"] >= r["k"] and abs(r["constraint_value"] - 1) < 1e-6 for r in principled), principled
    assert defective and len(results["legacy"][2]) == len(defective), (defective, results["legacy"][2])
    for r in defective:
        match = next(p for p in principled if p["resolution"] == r["resolution"])
        assert r["constraint_value"] > 1.5 and r["weight_norm"] > 100 * match["weight_norm"], (r, match)

    figure = Figure(figsize=(13, 7), layout="constrained")
    grid = figure.add_gridspec(2, 3)
    stage = np.arange(len(SETTING["resolutions"]))
    labels = [f"{r}x{r}" for r in SETTING["resolutions"]]
    panels = (("rank", "input rank (dotted: k)", False), ("weight_norm", r"$\|W_i\|_F$", True),
              ("constraint_value", r"$\|S_X - S_G\|_2 / \beta$ (1 = optimal)", True))
    for column, (key, title, log) in enumerate(panels):
        ax = figure.add_subplot(grid[0, column])
        for mode, marker in zip(MODES, ("o-", "s--")):
            ax.plot(stage, [r[key] for r in rows if r["mode"] == mode], marker, label=mode)
        if key == "rank":
            ax.plot(stage, SETTING["k"], "k:", label="k")
        if log:
            ax.set_yscale("log")
        ax.set_xticks(stage, labels)
        ax.set_title(title)
        ax.legend()
    for column, mode in enumerate(MODES):
        ax = figure.add_subplot(grid[1, column])
        picture = image_grid(results[mode][1], ncols=8, scale=4)
        ax.imshow(picture[..., 0], cmap="gray", vmin=0, vmax=255)
        ax.set_title(f"{mode}: final samples (clipped to [0, 1])")
        ax.axis("off")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "legacy_vs_principled.png"
    figure.savefig(path, dpi=100)
    print(f"checked: principled stages feasible and exact; legacy stages with k > rank warn, violate (C) and blow "
          f"up ||W||; wrote {path}")
    return rows


if __name__ == "__main__":
    main()
