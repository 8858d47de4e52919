r"""The default demo (``convexgan demo``): an exact solve and progressive training on scikit-learn's digits.

The data are the 1,797 handwritten digits (8 x 8, 17 grey levels) that scikit-learn ships inside its wheel
(``sklearn.datasets.load_digits``), so nothing is downloaded. Pixels are scaled to [0, 1]; the image sources of
:mod:`convexgan.data` round them to 8 bits (:math:`\operatorname{rint}(255 x) / 255`), and every number of the
report refers to those 8-bit images.

1. **Exact problem** (:ref:`theory-linear-generator`): the digits at 4 x 4 (d = 16), centred, a linear generator
   :math:`G = Z W` with :math:`Z \sim N(0, I_{16})` and a quadratic-activation critic,

   .. math::  \min_W \|W\|_F^2 \quad \text{s.t.} \quad \|S_X - W^T S_Z W\|_2 \le \beta, \qquad
              \beta = \lambda_{k+1}(S_X),

   solved by the closed form (eigenvalue soft-thresholding) and by the lifted SDP with SCS, with both
   certificates; and the free generator against the polynomial critic :math:`\sigma(t) = a t^2 + b t + c`, which
   has no closed form (the S-lemma SDP).
2. **Progressive training** (:ref:`theory-progressive`): resolutions 2 -> 4 -> 8, ``k = (3, 8, 20)``, principled mode,
   every stage in closed form (:func:`convexgan.progressive.train`).
3. **Metrics** (:ref:`theory-metrics`): per stage, the relative error between the generator's exact second moment
   :math:`F^T F + b b^T` and :math:`(S_X - \beta I)_+` recomputed here with numpy; on samples, the moment errors,
   the Bures-Wasserstein distance of the Gaussian fits and the sliced Wasserstein distance, each next to the same
   quantity between two halves of the real data (the noise floor).

Everything is written into one folder: ``report.md``, ``summary.json`` (the report's numbers), PNG figures and
the progressive run folder ``run/``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

import convexgan
from convexgan._extras import require
from convexgan._files import atomic_write, atomic_write_text
from convexgan._validation import check_int
from convexgan.data import load_images, open_images
from convexgan.duality import solve
from convexgan.duality.closed_form import eigh_descending, soft_threshold
from convexgan.metrics import bures_wasserstein, bures_wasserstein_samples, moment_errors, sliced_wasserstein_pyramid
from convexgan.plotting import draw_spectra, save_image_grid, signed_images
from convexgan.progressive import train
from convexgan.progressive.runs.folder import REPORT, grid_path
from convexgan.report import markdown_image, markdown_table, write_markdown

torch = require("demo", "torch", user=__name__)

if TYPE_CHECKING:
    from convexgan.duality import Solution
    from convexgan.progressive import ProgressiveGenerator

EXACT_RESOLUTION = 4
EXACT_K = 6
POLYNOMIAL = {"a": 0.09, "b": 0.5, "c": 0.47}
RESOLUTIONS = (2, 4, 8)
K = (3, 8, 20)
LATENT = 8
N_SAMPLES = 20000
SWD = {"nhood_size": 7, "nhoods_per_image": 16, "n_directions": 256}


def digit_images() -> NDArray[np.float32]:
    """scikit-learn's bundled digits as ``(1797, 8, 8, 1)`` float32 images in [0, 1] (grey levels 0..16 / 16)."""
    load_digits = require("demo", "sklearn.datasets", user=__name__).load_digits

    return (load_digits().images / 16.0).astype(np.float32)[..., None]


def centred_rows(images: NDArray[Any]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Flatten ``(n, r, r, C)`` images to rows (HWC) in float64; return ``(X - 1 mu^T, mu)``."""
    X = images.reshape(images.shape[0], -1).astype(np.float64)
    mean = X.mean(axis=0)
    return X - mean, mean


def exact_problem(images: NDArray[Any], seed: int) -> tuple[NDArray[np.float64], dict[str, Solution]]:
    r"""Solve the 4 x 4 problems of step 1; return ``(X, solutions)``, ``X`` the centred rows and ``solutions`` a
    dict of :class:`~convexgan.duality.Solution` by label.

    Labels: ``"closed form"``, ``"SDP (SCS)"`` (linear generator, quadratic critic, ``k = 6``) and
    ``"polynomial SDP (SCS)"`` (free generator, polynomial critic, the same beta, on the uncentred pixels so
    that the critic's linear term sees the mean).
    """
    pixels = load_images(images, EXACT_RESOLUTION)
    X, _ = centred_rows(pixels)
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((X.shape[0], X.shape[1]))
    solutions = {
        "closed form": solve(X, "quadratic", "linear", Z=Z, k=EXACT_K, method="closed_form"),
        "SDP (SCS)": solve(X, "quadratic", "linear", Z=Z, k=EXACT_K, method="cvxpy", solver="SCS"),
    }
    beta = solutions["closed form"].beta
    uncentred = pixels.reshape(pixels.shape[0], -1).astype(np.float64)
    a, b, c = (POLYNOMIAL[name] for name in "abc")
    solutions["polynomial SDP (SCS)"] = solve(uncentred, "polynomial", "free", beta=beta, method="cvxpy", solver="SCS",
                                              a=a, b=b, c=c)
    return X, solutions


def stage_pixels(images: NDArray[Any], resolution: int, base: int) -> NDArray[np.float64]:
    """The images as the trainer reads them: resized to ``base``, then to ``resolution``; 8-bit / 255 in float64.

    Returns
    -------
    ndarray (n, resolution, resolution, C) float64
    """
    with open_images(images) as source:
        chunks = [c[resolution] for c in source.iter_chunks([resolution], base=base, dtype=np.float64)]
    return np.concatenate(chunks)


def stage_moment_errors(generator: ProgressiveGenerator, images: NDArray[Any],
                        k: Sequence[int]) -> list[dict[str, Any]]:
    r"""Per stage, the model's exact moment error against :math:`(S_X - \beta I)_+`, with :math:`S_X` from numpy:

    .. math::  \|F^T F + b b^T - (S_X - \beta I)_+\|_F \,/\, \|(S_X - \beta I)_+\|_F .

    Parameters
    ----------
    generator : convexgan.progressive.ProgressiveGenerator
    images : ndarray (n, H, W, C)
        The training images (resized here to each stage's resolution as the trainer does, :func:`stage_pixels`).
    k : sequence of int
        Kept components per stage (:math:`\beta = \lambda_{k+1}(S_X)`).

    Returns
    -------
    list of dict
        ``resolution``, ``beta`` (:math:`\lambda_{k+1}` by numpy), ``relative_error``, and the eigenvalues of
        :math:`S_X` (``data_eigenvalues``) and of the model (``model_eigenvalues``), descending.
    """
    rows = []
    for index, (resolution, kept) in enumerate(zip(generator.resolutions, k)):
        X, _ = centred_rows(stage_pixels(images, resolution, generator.resolutions[-1]))
        lam, V = eigh_descending(X.T @ X / X.shape[0])
        beta = float(lam[kept])
        target = (V * soft_threshold(lam, beta)) @ V.T
        F, b = generator.affine_map(index)
        model = (F.T @ F + torch.outer(b, b)).numpy()
        rows.append({
            "resolution": resolution,
            "beta": beta,
            "relative_error": float(np.linalg.norm(model - target) / np.linalg.norm(target)),
            "data_eigenvalues": lam,
            "model_eigenvalues": np.linalg.eigvalsh(model)[::-1],
        })
    return rows


def sample_metrics(generator: ProgressiveGenerator, images: NDArray[Any], beta: float,
                   seed: int) -> tuple[NDArray[Any], dict[str, Any]]:
    r"""Moment errors, Bures-W2 and sliced Wasserstein of generated samples, beside the real data's noise floor.

    Also the same quantities for the exact model :math:`N(\mu_X, S^*)`, :math:`S^* = (S_X - \beta I)_+` (centred
    second moments), which need no sampling: :math:`\|S^* - S_X\|_F / \|S_X\|_F`, :math:`\|S_X - S^*\|_2 / \beta`
    (= 1) and the Bures-Wasserstein distance between :math:`N(\mu_X, S_X)` and :math:`N(\mu_X, S^*)`.
    """
    samples = generator.sample(N_SAMPLES, seed=seed, dtype=torch.float64)
    X = images.reshape(images.shape[0], -1).astype(np.float64)
    G = samples.reshape(N_SAMPLES, -1).astype(np.float64)
    errors = moment_errors(G, X, beta=beta, center=X.mean(axis=0))
    half = X.shape[0] // 2
    permutation = np.random.default_rng(seed).permutation(X.shape[0])
    first, second = permutation[:half], permutation[half : 2 * half]
    A, mean = centred_rows(images)
    S_X = A.T @ A / A.shape[0]
    lam, V = eigh_descending(S_X)
    S_star = (V * soft_threshold(lam, beta)) @ V.T
    swd_model = sliced_wasserstein_pyramid(images[second], samples[:half], seed=seed, **SWD)
    swd_real = sliced_wasserstein_pyramid(images[second], images[first], seed=seed, **SWD)
    return samples, {
        "n_generated": N_SAMPLES,
        "n_real": X.shape[0],
        "mean_error": errors.mean_error,
        "second_moment_error": errors.second_moment_error,
        "constraint_value_samples": errors.constraint_value,
        "second_moment_error_exact": float(np.linalg.norm(S_star - S_X) / np.linalg.norm(S_X)),
        "constraint_value_exact": float(np.abs(np.linalg.eigvalsh(S_X - S_star)).max() / beta),
        "bures_samples": bures_wasserstein_samples(X, G),
        "bures_exact_gaussian": bures_wasserstein(mean, S_X, mean, S_star),
        "bures_real_halves": bures_wasserstein_samples(X[first], X[second]),
        "swd_generated": swd_model.average,
        "swd_real_halves": swd_real.average,
        "swd_descriptors": swd_model.n_descriptors,
    }


def _save_figure(path: Path, draw: Callable[[Any], None], size: tuple[float, float] = (5, 3.5)) -> Path:
    Figure = require("demo", "matplotlib.figure", user=__name__).Figure

    figure = Figure(figsize=size, layout="constrained")
    draw(figure)
    atomic_write(path, lambda fh: figure.savefig(fh, format="png", dpi=110))
    return Path(path)


def _certificate_rows(solutions: dict[str, Solution]) -> list[list[Any]]:
    rows = []
    for label, s in solutions.items():
        c = s.certificate
        rows.append([label, s.generator, c["solver"], c["status"], c["primal"], c["dual"], c["gap"], c["violation"],
                     c["seconds"]])
    return rows


def run_demo(out: str | os.PathLike[str], *, seed: int = 0, progress: bool = True) -> dict[str, Any]:
    """Run the demo into folder ``out`` and return its summary (the numbers of ``report.md``).

    Parameters
    ----------
    out : path
        Output folder (created). Running again with the same seed reuses the finished progressive run in
        ``out/run`` and rewrites the report.
    seed : int
        Seed of the generator input ``Z``, the samples and the metrics' random choices.
    progress : bool
        Show tqdm progress bars.

    Returns
    -------
    dict
        Also written to ``out/summary.json``.
    """
    seed = check_int(seed, "seed", 0, 2**31 - 1)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    steps = tqdm(total=4, desc="demo", unit="step", disable=not progress)
    images = digit_images()
    X4, solutions = exact_problem(images, seed)
    steps.update()
    generator = train(images, folder / "run", resolutions=RESOLUTIONS, k=K, latent=LATENT, dtype="float64",
                      seed=seed, resume=True, progress=progress)
    run_report = json.loads((folder / "run" / REPORT).read_text())
    steps.update()
    stages = stage_moment_errors(generator, images, K)
    trained = stage_pixels(images, RESOLUTIONS[-1], RESOLUTIONS[-1])
    samples, metrics = sample_metrics(generator, trained, run_report["stages"][-1]["beta"], seed)
    steps.update()
    figures = _write_figures(folder, trained, solutions, generator, stages, samples)
    summary = {
        "package_version": convexgan.__version__,
        "seed": seed,
        "data": {"name": "sklearn.datasets.load_digits", "n": int(images.shape[0]), "shape": list(images.shape[1:])},
        "exact": {
            "resolution": EXACT_RESOLUTION, "d": int(X4.shape[1]), "k": EXACT_K,
            "beta": solutions["closed form"].beta, "polynomial": POLYNOMIAL,
            "certificates": {label: _jsonable(s.certificate) for label, s in solutions.items()},
        },
        "progressive": [
            {
                "resolution": s["resolution"], "d": s["d"], "k": s["k"], "beta": s["beta"],
                "constraint_value": s["constraint_value"], "weight_norm": s["weight_norm"],
                "input_rank": s["input"]["rank"], "fresh": s["input"]["fresh"],
                "model_moment_error": m["relative_error"], "beta_numpy": m["beta"], "seconds": s["seconds"],
            }
            for s, m in zip(run_report["stages"], stages)
        ],
        "metrics": metrics,
        "figures": {name: str(path.relative_to(folder)) for name, path in figures.items()},
    }
    summary["seconds"] = time.perf_counter() - start
    atomic_write_text(folder / "summary.json", json.dumps(summary, indent=2, sort_keys=True) + "\n")
    write_markdown(folder / "report.md", _report_blocks(folder, summary, solutions, figures))
    steps.update()
    steps.close()
    return summary


def _jsonable(certificate: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in certificate.items() if isinstance(value, (str, int, float, bool, type(None)))}


def _write_figures(out: Path, images: NDArray[Any], solutions: dict[str, Solution], generator: ProgressiveGenerator,
                   stages: list[dict[str, Any]], samples: NDArray[Any]) -> dict[str, Path]:
    figures = {"data": save_image_grid(images[:64], out / "data.png", ncols=8)}
    for index, resolution in enumerate(generator.resolutions):
        figures[f"stage{index}"] = grid_path(out / "run", index, resolution)
    figures["samples"] = save_image_grid(np.clip(samples[:64], 0, 1), out / "samples.png", ncols=8)
    V = generator.stages[-1].V.numpy()
    r = generator.resolutions[-1]
    figures["directions"] = save_image_grid(signed_images(V, (r, r, 1)), out / "directions.png", ncols=10)
    critic = solutions["closed form"].critic
    figures["exact_directions"] = save_image_grid(
        signed_images(critic.U, (EXACT_RESOLUTION, EXACT_RESOLUTION, 1)), out / "exact_directions.png", ncols=6,
        scale=12,
    )
    last = stages[-1]

    def spectrum(figure: Any) -> None:
        ax = figure.add_subplot()
        draw_spectra(ax, last["data_eigenvalues"], last["beta"], last["model_eigenvalues"])
        ax.set_title(f"{r}x{r} digits: generated spectrum = (data - beta)+")

    figures["spectrum"] = _save_figure(out / "spectrum.png", spectrum)
    return figures


def _report_blocks(out: Path, summary: dict[str, Any], solutions: dict[str, Solution],
                   figures: dict[str, Path]) -> list[str]:
    """The blocks of ``report.md``: the introduction, then the exact solve, progressive training and metrics."""
    def image(name: str, caption: str) -> str:
        return markdown_image(figures[name], out, caption)

    return [
        "# convexgan demo report",
        f"convexgan {summary['package_version']}, seed {summary['seed']}, {summary['seconds']:.1f} s. Data: "
        f"scikit-learn's bundled digits ({summary['data']['n']} images, 8 x 8 grey), pixels in [0, 1].\n\n"
        + image("data", "real digits"),
        *_exact_blocks(summary["exact"], solutions, image),
        *_progressive_blocks(summary["progressive"], image),
        *_metric_blocks(summary["metrics"]),
    ]


def _exact_blocks(exact: dict[str, Any], solutions: dict[str, Solution], image: Callable[[str, str], str]) -> list[str]:
    """Section 1 of the report: the 4 x 4 solves and their certificates."""
    return [
        "## 1. An exact solve with its certificate",
        f"Digits at {exact['resolution']} x {exact['resolution']} (d = {exact['d']}), centred; linear generator "
        f"G = Z W with Z ~ N(0, I); quadratic-activation critic with k = {exact['k']}, i.e. beta = "
        f"lambda_{exact['k'] + 1}(S_X) = {exact['beta']:.4g}:\n\n"
        "    min_W ||W||_F^2   s.t.   ||S_X - W^T S_Z W||_2 <= beta\n\n"
        "The closed form (eigenvalue soft-thresholding) and the lifted SDP solved by SCS reach the same optimum; "
        "the dual is a certified lower bound, the violation is ||S_X - S_G||_2 - beta measured from the returned "
        f"samples. The last row is the free generator against the polynomial critic a t^2 + b t + c with "
        f"(a, b, c) = ({POLYNOMIAL['a']}, {POLYNOMIAL['b']}, {POLYNOMIAL['c']}), which has no closed form "
        "(S-lemma SDP); it runs on the uncentred pixels, so that the linear term b t matches the mean.",
        markdown_table(
            ["solve", "generator", "solver", "status", "primal", "dual", "gap", "violation", "seconds"],
            _certificate_rows(solutions), digits=6,
        ),
        "The optimal critic is D(x) = ||V_k^T x||^2: its neurons are the top principal directions of the data "
        "(grey = 0):\n\n" + image("exact_directions", "optimal critic directions at 4x4"),
    ]


def _progressive_blocks(progressive: list[dict[str, Any]], image: Callable[[str, str], str]) -> list[str]:
    """Section 2 of the report: the progressive stages, their samples and the final spectrum."""
    stage_rows = [
        [s["resolution"], s["d"], s["k"], s["beta"], s["input_rank"], s["fresh"], s["weight_norm"],
         s["constraint_value"], s["model_moment_error"]]
        for s in progressive
    ]
    return [
        "## 2. Progressive training, every stage exact",
        f"Resolutions {' -> '.join(str(s['resolution']) for s in progressive)}, k per stage "
        f"{[s['k'] for s in progressive]}, principled mode (fresh latent columns where the previous stage "
        "lacks rank). The constraint value ||S_X - S_G||_2 / beta is 1 at the optimum; the model error compares "
        "the generator's exact second moment with (S_X - beta I)_+ recomputed independently with numpy.",
        markdown_table(
            ["resolution", "d", "k", "beta", "input rank", "fresh columns", "||W||_F", "constraint value",
             "model moment error"],
            stage_rows, digits=6,
        ),
        "\n\n".join(
            f"Stage {i} ({s['resolution']}x{s['resolution']}):\n\n" + image(f"stage{i}", f"samples of stage {i}")
            for i, s in enumerate(progressive)
        ),
        "Final samples and the spectrum they have by construction, and the critic's directions at 8 x 8:\n\n"
        + image("samples", "final samples") + "\n" + image("spectrum", "spectra") + "\n"
        + image("directions", "critic directions at 8x8"),
    ]


def _metric_blocks(metrics: dict[str, Any]) -> list[str]:
    """Section 3 of the report: the sample metrics beside the exact model's and the real data's noise floor."""
    metric_rows = [
        ["mean error ||mu_G - mu_X||", metrics["mean_error"], 0.0, "-"],
        ["second-moment error ||S_G - S_X||_F / ||S_X||_F", metrics["second_moment_error"],
         metrics["second_moment_error_exact"], "-"],
        ["constraint value ||S_X - S_G||_2 / beta", metrics["constraint_value_samples"],
         metrics["constraint_value_exact"], "-"],
        ["Bures-W2 (Gaussian fits)", metrics["bures_samples"], metrics["bures_exact_gaussian"],
         metrics["bures_real_halves"]],
        ["sliced Wasserstein (7x7 patches, x1e3)", 1e3 * metrics["swd_generated"], "-",
         1e3 * metrics["swd_real_halves"]],
    ]
    return [
        "## 3. Metrics",
        f"{metrics['n_generated']} generated samples against the {metrics['n_real']} real digits (8 x 8). The "
        "generator is exactly Gaussian with covariance S* = (S_X - beta I)_+; the middle column is computed from "
        "S* without sampling, so the differences between the first two columns are sampling noise, and the "
        "distance of the exact model to the data is the price of the critic's regularisation beta. The last "
        "column is the same distance between two random halves of the real data (its sampling noise floor).",
        markdown_table(["metric", "generated samples vs real", "exact model vs real", "real half vs real half"],
                       metric_rows, digits=4),
    ]
