r"""What a trained progressive generator is: a Gaussian with a low-rank covariance
=============================================================================

Every stage is affine, so a run's samples at stage :math:`s` are :math:`x = z F + b + \mu_X` with
:math:`z \sim N(0, I_D)` (:meth:`ProgressiveGenerator.affine_map`): a Gaussian with mean :math:`b + \mu_X` and
covariance

.. math::  F^T F = (S_X - \beta I)_+ = \sum_{j \le k} (\lambda_j - \beta)\, v_j v_j^T

(docs/theory.md section 7): the top-:math:`k` principal directions :math:`v_j` of the data, each with its
variance shrunk by :math:`\beta`. The figure shows, for one run, the mean image, the top principal directions
of the model (the right singular vectors of :math:`F`, drawn grey = 0), and fresh samples, which are the mean
plus Gaussian combinations of those directions. The script checks that the singular values of :math:`F` are
:math:`\sqrt{\lambda_j - \beta}` from the stage's report.

Run: ``python examples/plot_what_the_model_is.py [--run RUN] [--stage S] [--out DIR]``; without ``--run`` it
trains on scikit-learn's bundled digits (2 -> 4 -> 8, k = 3, 8, 20) first. README's figure:
``convexgan train ../shared/data/celeba10k_89x109.tar --out RUN --n-images 2000 --subset first --resolutions 4 8
16 32``, then ``python examples/plot_what_the_model_is.py --run RUN --out docs/img``.
"""

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from convexgan.demo import digit_images
from convexgan.plotting import image_grid, signed_images
from convexgan.progressive import load_generator, train

N_SHOW = 8


def main(argv=None):
    """Draw the mean, the top directions and samples of one stage; return the singular values checked."""
    parser = argparse.ArgumentParser(description="mean, principal directions and samples of a trained run")
    parser.add_argument("--run", help="run folder of `convexgan train` (default: train on sklearn digits)")
    parser.add_argument("--stage", type=int, default=-1, help="stage index (default: -1, the last)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the samples (default: 0)")
    parser.add_argument("--out", type=Path, default=Path("convexgan_examples"), help="output folder")
    parser.add_argument("--fast", action="store_true", help="no progress bars (for tests)")
    args = parser.parse_args(argv)
    if args.run is not None:
        return draw(Path(args.run), args)
    with tempfile.TemporaryDirectory() as folder:
        run = Path(folder) / "digits"
        train(digit_images(), run, resolutions=(2, 4, 8), k=(3, 8, 20), latent=8, dtype="float64",
              progress=not args.fast)
        return draw(run, args)


def draw(run, args):
    """The figure of one run's stage ``args.stage``."""
    from matplotlib.figure import Figure

    generator = load_generator(run)
    index = generator.stage_index(args.stage)
    stage = generator.stages[index]
    r, C = stage.resolution, stage.channels
    info = json.loads((run / "report.json").read_text())["stages"][index]
    F, b = (t.numpy() for t in generator.affine_map(index))
    _, sigma, Vt = np.linalg.svd(F, full_matrices=False)
    expected = np.sqrt(np.maximum(np.asarray(info["kept_eigenvalues"]) - info["beta"], 0))
    np.testing.assert_allclose(sigma[: len(expected)], expected, rtol=1e-4, atol=1e-6 * expected[0])
    mean = (b + stage.mean.numpy()).reshape(1, r, r, C)
    directions = signed_images(Vt[: 2 * N_SHOW - 1].T, (r, r, C))
    samples = generator.sample(N_SHOW, seed=args.seed, stage=index, clip=True)
    rows = [
        (np.concatenate([mean, directions[: N_SHOW - 1]]), f"mean, then principal directions 1-{N_SHOW - 1} of the "
         f"model (grey = 0); variances lambda_j - beta = {sigma[0] ** 2:.3g}, {sigma[1] ** 2:.3g}, ..."),
        (directions[N_SHOW - 1 :], f"directions {N_SHOW}-{2 * N_SHOW - 1} (of k = {info['k']})"),
        (samples, f"samples: mean + sum_j sqrt(lambda_j - beta) z_j v_j, z ~ N(0, I) (seed {args.seed})"),
    ]
    figure = Figure(figsize=(8, 3.6), layout="constrained")
    axes = figure.subplots(len(rows), 1)
    for ax, (tiles, title) in zip(axes, rows):
        picture = image_grid(tiles, ncols=N_SHOW, scale=max(1, 64 // r))
        ax.imshow(picture[..., 0] if C == 1 else picture, cmap="gray", vmin=0, vmax=255)
        ax.set_title(title, fontsize=8)
        ax.axis("off")
    figure.suptitle(f"stage {index} ({r}x{r}): a Gaussian of rank {info['k']}, covariance (S_X - beta I)_+, "
                    f"beta = {info['beta']:.3g}", fontsize=9)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "what_the_model_is.png"
    figure.savefig(path, dpi=90)
    print(f"checked: singular values of F = sqrt(lambda_j - beta) for the {len(expected)} kept directions; "
          f"wrote {path}")
    return sigma


if __name__ == "__main__":
    main()
