r"""Progressive training: the samples of each stage on real images
===============================================================

ProCoGAN (docs/theory.md section 7) trains a linear generator resolution by resolution. At stage :math:`i` the images
resized to :math:`r_i` and centred have second moment :math:`S_{X_i}`; the stage input :math:`\hat z_i` is the
previous stage's output upsampled x2 (plus fresh latent columns where it lacks rank, the principled mode), and
the stage solves in closed form

.. math::  \min_{W_i} \|W_i\|_F^2 \quad \text{s.t.} \quad \|S_{X_i} - W_i^T S_{\hat z_i} W_i\|_2 \le \beta_i,
           \qquad \beta_i = \lambda_{k_i + 1}(S_{X_i}),

so that every stage generates exactly :math:`S_{G_i} = (S_{X_i} - \beta_i I)_+`. The figure shows real images
and fresh samples at every stage. The script checks, per stage, the constraint value (1 at the optimum) and the
generator's exact second moment :math:`F^T F + b b^T` (from its affine map) against
:math:`(S_{X_i} - \beta_i I)_+` recomputed with numpy.

Data: scikit-learn's bundled digits (stages 2 -> 4 -> 8, k = 3, 8, 20) by default; ``--data`` takes an image
folder, a CelebA tar (e.g. the shared ``celeba10k_89x109.tar``) or an ``.npz`` (stages 4 -> 8 -> 16,
k = 20, 30, 40, the first ``--n-images`` images, read at 16 x 16).

Run: ``python examples/plot_progressive_stages.py [--data PATH] [--out DIR] [--fast]``.
"""

import argparse
import json
import tempfile
from pathlib import Path

from convexgan.data import load_images
from convexgan.demo import digit_images, stage_moment_errors
from convexgan.plotting import image_grid
from convexgan.progressive import train

DIGITS = {"resolutions": (2, 4, 8), "k": (3, 8, 20), "latent": 8}
IMAGES = {"resolutions": (4, 8, 16), "k": (20, 30, 40), "latent": 48}


def main(argv=None):
    """Train, check, draw; return the per-stage numbers."""
    parser = argparse.ArgumentParser(description="Progressive training: the samples of each stage")
    parser.add_argument("--data", help="image folder, tar or .npz (default: sklearn digits)")
    parser.add_argument("--n-images", type=int, default=2000, help="images read from --data (default 2000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("convexgan_examples"), help="output folder")
    parser.add_argument("--fast", action="store_true", help="no progress bars (for tests; the default setting is small)")
    args = parser.parse_args(argv)
    from matplotlib.figure import Figure

    setting = DIGITS if args.data is None else IMAGES
    top = setting["resolutions"][-1]
    images = (digit_images() if args.data is None
              else load_images(args.data, top, n_images=args.n_images, subset="first"))
    with tempfile.TemporaryDirectory() as run:
        generator = train(images, Path(run) / "run", resolutions=setting["resolutions"], k=setting["k"],
                          latent=setting["latent"], dtype="float64", seed=args.seed, progress=not args.fast)
        stages = json.loads((Path(run) / "run" / "report.json").read_text())["stages"]
    checks = stage_moment_errors(generator, images, setting["k"])
    n_show = 8
    figure = Figure(figsize=(12, 1.2 * len(stages) + 0.3), layout="constrained")
    axes = figure.subplots(len(stages), 2, squeeze=False)
    print(f"{'stage':>5} {'res':>4} {'k':>4} {'beta':>10} {'constraint':>14} {'model error':>12} {'||W||_F':>9}")
    for i, (stage, check) in enumerate(zip(stages, checks)):
        r = stage["resolution"]
        print(f"{i:>5} {r:>4} {stage['k']:>4} {stage['beta']:10.4g} {stage['constraint_value']:14.10f} "
              f"{check['relative_error']:12.2e} {stage['weight_norm']:9.4g}")
        real = load_images(images, r)[:n_show]
        fake = generator.sample(n_show, seed=args.seed, stage=i, clip=True)
        for ax, tiles, name in ((axes[i, 0], real, "real"), (axes[i, 1], fake, "generated")):
            picture = image_grid(tiles, ncols=n_show, scale=max(1, top // r))
            ax.imshow(picture[..., 0] if picture.shape[2] == 1 else picture, cmap="gray", vmin=0, vmax=255)
            ax.set_title(f"stage {i}, {r}x{r}: {name}" + (f" (k = {stage['k']}, constraint value "
                         f"{stage['constraint_value']:.6f})" if name == "generated" else ""), fontsize=9)
            ax.axis("off")
        assert abs(stage["constraint_value"] - 1) < 1e-6, stage
        assert check["relative_error"] < 1e-8, check
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "progressive_stages.png"
    figure.savefig(path, dpi=100)
    print(f"checked: every stage feasible and active, S_G = (S_X - beta I)_+ exactly at every stage; wrote {path}")
    return [{"resolution": s["resolution"], "constraint_value": s["constraint_value"],
             "model_error": c["relative_error"], "beta": s["beta"], "beta_numpy": c["beta"]}
            for s, c in zip(stages, checks)]


if __name__ == "__main__":
    main()
