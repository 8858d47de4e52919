r"""Evaluation of a trained progressive run against real images, stage by stage, with a real-vs-real floor.

For every finished stage of the run, at the stage's resolution, ``n`` fresh samples are compared with ``n`` real
images (half A) by moment errors, Bures-W2, the pyramid sliced Wasserstein distance and, when a feature
extractor is given, FID and KID (:mod:`convexgan.metrics`). Another ``n`` real images (half B, disjoint from A)
are compared with A by the same metrics: the floor that any generator can reach with that many samples.

The ``2 n`` real images are drawn at random (``seed``) from the images the run did not train on: the run's
``images.json`` lists the training images by their index in the sorted list of candidates, with that list's
SHA-256, and the data given must have the same list (else every image counts as unseen, with a warning: right
for a separate test set). When fewer than ``2 n`` unseen images exist the draw goes on with training images,
with a :class:`convexgan.exceptions.TrainingImagesWarning` saying how many are unseen. ``subset='first'`` with
``skip=S`` takes images ``S + 1 .. S + 2 n`` in sorted order instead.
"""

import os
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

from convexgan._validation import check_choice, check_int
from convexgan.choices import LEGACY_BACKGROUND
from convexgan.exceptions import SampleSizeWarning, TrainingImagesWarning

NHOOD_SIZE = 7
if TYPE_CHECKING:
    from convexgan.data.open import ImageData
    from convexgan.data.source import ImageSource

LABELS = {"generated": "generated", "real_b": "real half B (floor)"}


def real_halves(data: "ImageData", resolutions: Sequence[int], n: int, *, seed: int = 0, subset: str = "random",
                skip: int = 0, used: Iterable[int] | None = None, crop: str | bool = "none",
                attributes: dict[str, bool] | None = None, include: str | Sequence[str] | None = None,
                classes: str | Sequence[str] | None = None, progress: bool = False,
                background: str = LEGACY_BACKGROUND) -> tuple[dict[int, NDArray[Any]], dict[int, NDArray[Any]], dict[str, Any]]:
    """Two disjoint sets of real images at every resolution (``progress``: a tqdm bar while decoding).

    With ``subset='random'``, ``2 n`` candidates of ``data`` (its sorted list after the filters) are drawn with
    ``seed`` (:func:`convexgan.data.subsets.draw_held_out`), those outside ``used`` first, with a
    :class:`convexgan.exceptions.TrainingImagesWarning` when some of ``used`` must be taken. With
    ``subset='first'``, candidates ``skip .. skip + 2 n - 1`` are taken (a warning too when they meet ``used``).
    The images read are split at random (seed ``seed``) into two halves of ``min(n, count // 2)``.

    Parameters
    ----------
    data : path, ndarray or ImageSource
        An open source is used as it is (its filters and crop).
    resolutions : list of int
    n : int
    seed : int
    subset : {'random', 'first'}
    skip : int
        Only with ``subset='first'``.
    used : sequence of int or None
        Candidates to hold out (the run's training images).
    crop, attributes, include, classes, background
        The run's frame, filters and background of transparent images (see :func:`convexgan.data.open_images`).
    progress : bool

    Returns
    -------
    half_a, half_b : dict
        ``{r: ndarray (n', r, r, C) float32 in [0, 1]}``.
    draw : dict
        ``subset``, ``candidates``, ``candidates_sha256``, ``indices`` (the candidates read, sorted), ``unseen``
        (candidates outside ``used``), ``training_images`` (how many of ``indices`` are in ``used``),
        ``skipped`` (unreadable).
    """
    from convexgan.data import open_images
    from convexgan.data.subsets import draw_held_out, random_order

    check_choice(subset, "subset", ("random", "first"))
    skip = check_int(skip, "skip", 0, 10**9)
    if skip and subset != "first":
        raise ValueError(f"skip={skip} needs subset='first' (--subset first); random draws hold out the run's "
                         f"training images instead")
    source = open_images(data, crop=crop, attributes=attributes, include=include, classes=classes,
                         background=background)
    count = len(source.candidates)
    used = sorted(set(int(i) for i in used)) if used is not None else []
    if subset == "first":
        chosen = np.arange(min(skip, count), min(skip + 2 * n, count))
        unseen = count - len(used)
    else:
        chosen, unseen = draw_held_out(count, 2 * n, used=used, seed=seed)
    chosen = np.sort(chosen)
    training = int(np.isin(chosen, used).sum())
    if training:
        where = (f"only {unseen} of the {count} images of {source.description} are not among the run's training "
                 f"images, fewer than the 2 x {n} needed" if subset == "random" else
                 f"images {skip + 1} to {skip + len(chosen)} of {source.description} (sorted order)")
        if subset == "first":
            remedy = "subset='random' (--subset random) holds them out"
        elif unseen >= 4:
            remedy = f"n <= {unseen // 2} (--n) compares with unseen images only"
        else:
            remedy = "train on a subset (--n-images) to keep images for evaluation, or evaluate on a separate test set"
        warnings.warn(f"{where}: the comparison uses {training} training image(s); {remedy}", TrainingImagesWarning,
                      stacklevel=2)
    source.restrict(chosen)
    with tqdm(total=len(source), desc="real images", unit="img", disable=not progress) as bar:
        chunks = list(source.iter_chunks(resolutions, progress=bar))
    read = sum(len(chunk[resolutions[0]]) for chunk in chunks)
    if read < 4:
        raise ValueError(f"data {data} has {read} readable images of the {len(chosen)} drawn; evaluation needs at "
                         f"least 4 (two halves)")
    images = {r: np.concatenate([chunk[r] for chunk in chunks]) for r in resolutions}
    half = min(n, read // 2)
    order = random_order(read, seed, "split")
    draw = {"subset": subset, "candidates": count, "candidates_sha256": source.selection["candidates_sha256"],
            "indices": chosen.tolist(), "unseen": unseen, "training_images": training, "skipped": source.skipped}
    return (
        {r: x[order[:half]] for r, x in images.items()},
        {r: x[order[half : 2 * half]] for r, x in images.items()},
        draw,
    )


def training_images(run: str | os.PathLike[str], config: Mapping[str, Any], source: "ImageSource") -> list[int]:
    """The candidates of ``source`` the run trained on (positions in its sorted list), read from ``images.json``.

    When the source's sorted list differs from the run's (SHA-256), no image counts as a training image, with a
    :class:`convexgan.exceptions.TrainingImagesWarning`; a run that predates ``images.json`` trained on the
    first ``n_images`` (older versions' only subset), also with a warning.
    """
    from convexgan.progressive.runs.folder import read_images

    record = read_images(run)
    count, digest = len(source.candidates), source.selection["candidates_sha256"]
    if record is None:
        n_images = config.get("n_images")
        used = min(count, n_images) if n_images is not None else count
        warnings.warn(f"run {run} has no images.json (an older version trained it): assuming it used the first "
                      f"{used} images of {source.description} in sorted order, as older versions did",
                      TrainingImagesWarning, stacklevel=2)
        return list(range(used))
    if record["candidates_sha256"] != digest:
        warnings.warn(f"the sorted list of {source.description} ({count} images, SHA-256 {digest[:12]}...) is not "
                      f"the one run {run} trained on ({record['candidates']} images, SHA-256 "
                      f"{record['candidates_sha256'][:12]}...): every image counts as unseen (right for a separate "
                      f"test set; if these are the training images changed since, the real images may include "
                      f"training images)", TrainingImagesWarning, stacklevel=2)
        return []
    return record["indices"]


def compare(images: NDArray[Any], real: NDArray[Any], *, beta: float, seed: int, nhoods: int,
            features: tuple[NDArray[Any], NDArray[Any]] | None = None, extractor: Callable[..., Any] | None = None,
            names: tuple[str, str] = ("samples", "real half A")) -> dict[str, Any]:
    r"""All metrics between ``images`` and the real half ``real`` (same count and resolution).

    Moment errors are measured on pixels centred by the real mean (the stage's problem, :ref:`theory-progressive`), with
    :math:`\|S_X - S_G\|_2 / \beta` against the stage's ``beta``; Bures-W2 between the Gaussian fits of the
    pixels; SWD when the images are at least 7 x 7.

    Parameters
    ----------
    images, real : ndarray (n, r, r, C)
    beta : float
    seed : int
    nhoods : int
    features : (ndarray, ndarray) or None
        Features of ``images`` and ``real`` for FID/KID.
    extractor : callable or None
        The extractor that made ``features`` (for the record).
    names : (str, str)
        Names of the two sets in warnings.

    Returns
    -------
    row : dict
    """
    from convexgan.metrics import (
        bures_wasserstein_samples, fid_from_features, kid_from_features, moment_errors, sliced_wasserstein_pyramid,
    )

    G, X = images.reshape(images.shape[0], -1), real.reshape(real.shape[0], -1)
    moments = moment_errors(G, X, beta=beta, center=X.mean(axis=0, dtype=np.float64))
    row: dict[str, Any] = {
        "mean_error": moments.mean_error,
        "second_moment_error": moments.second_moment_error,
        "spectral_gap": moments.spectral_gap,
        "constraint_value": moments.constraint_value,
        "bures_w2": bures_wasserstein_samples(G, X, names=names),
        "swd_x1e3": None,
        "swd_levels": None,
        "fid": None,
        "kid_x1e3": None,
    }
    if min(images.shape[1:3]) >= NHOOD_SIZE:
        swd = sliced_wasserstein_pyramid(real, images, seed=seed, nhood_size=NHOOD_SIZE, nhoods_per_image=nhoods)
        row["swd_x1e3"] = 1e3 * swd.average
        row["swd_levels"] = {str(r): 1e3 * v for r, v in zip(swd.resolutions, swd.per_level)}
    if features is not None:
        fid = fid_from_features(features[1], features[0], extractor)
        kid = kid_from_features(features[1], features[0], extractor, seed=seed)
        kid_std = None if kid.std is None else 1e3 * kid.std
        row.update(fid=fid.value, kid_x1e3=1e3 * kid.value, kid_std_x1e3=kid_std, kid_subset_size=kid.subset_size)
    return row


def evaluate_run(run: str | os.PathLike[str], data: "ImageData", *, n: int = 1000,
                 extractor: Callable[..., Any] | None = None, seed: int = 0, nhoods: int = 128,
                 subset: str = "random", skip: int = 0, progress: bool = True) -> dict[str, Any]:
    """Evaluate every finished stage of a run; return a JSON-ready dictionary (see :func:`format_table`).

    The real images are drawn by :func:`real_halves` (``subset``, ``skip``), holding out the run's training
    images (:func:`training_images`); ``result["real_images"]`` says which were read, ``result["warnings"]``
    carries the warnings (which are also issued).
    """
    from convexgan.data import open_images
    from convexgan.metrics.features import describe_extractor
    from convexgan.progressive import load_generator
    from convexgan.progressive.runs.folder import finished_stages, read_config

    n = check_int(n, "n", 2, 10**7)
    nhoods = check_int(nhoods, "nhoods", 1, 10**5)
    config = read_config(run)
    generator = load_generator(run)
    _, metas = finished_stages(run, config)
    resolutions = list(generator.resolutions)
    with warnings.catch_warnings(record=True) as held:
        warnings.simplefilter("always")
        source = open_images(data, crop=config["crop"], attributes=config.get("attributes"),
                             include=config.get("include"), classes=config.get("classes"),
                             background=config["background"])
        used = training_images(run, config, source)
        half_a, half_b, draw = real_halves(source, resolutions, n, seed=seed, subset=subset, skip=skip, used=used,
                                           progress=progress)
        source.close()
    caught: Any  # a WarningMessage in this loop, then the list of the stages' warnings below
    for caught in held:
        warnings.warn(caught.message, caught.category, stacklevel=2)
    n_used = half_a[resolutions[0]].shape[0]
    result: dict[str, Any] = {
        "run": str(run),
        "data": str(data),
        "skip": skip,
        "real_images": draw,
        "mode": config.get("mode"),
        "n": n_used,
        "seed": seed,
        "samples": "unclipped (the model's exact distribution) for moments and Bures-W2; SWD, FID and KID on the "
        "8-bit clipped images",
        "extractor": None,
        "stages": [],
        "warnings": [],
    }
    if extractor is not None:
        name, resizer, input_dtype = describe_extractor(extractor)
        result["extractor"] = {"name": name, "resizer": resizer, "input_dtype": input_dtype, "statistics_dtype": "float64"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for index in tqdm(range(len(resolutions)), desc="stages", disable=not progress):
            r = resolutions[index]
            samples = generator.sample(n_used, seed=seed, stage=index)
            result["stages"].append(_evaluate_stage(index, r, samples, half_a[r], half_b[r], metas[index]["beta"],
                                                    extractor=extractor, seed=seed, nhoods=nhoods, progress=progress))
    result["warnings"] = [str(w.message) for w in held] + _summarise(caught, result)
    return result


def _evaluate_stage(index: int, r: int, samples: NDArray[Any], real_a: NDArray[Any], real_b: NDArray[Any],
                    beta: float, *, extractor: Callable[..., Any] | None, seed: int, nhoods: int,
                    progress: bool) -> dict[str, Any]:
    """One stage's entry of :func:`evaluate_run`: the samples and real half B, each compared with real half A."""
    from convexgan.metrics import extract_features

    sets = {"generated": samples, "real_b": real_b, "real_a": real_a}
    features = None
    if extractor is not None:
        features = {key: extract_features(x, extractor, name=f"{key} {r}x{r}", progress=progress)
                    for key, x in sets.items()}
    rows = {
        key: compare(sets[key], real_a, beta=beta, seed=seed, nhoods=nhoods,
                     features=None if features is None else (features[key], features["real_a"]),
                     extractor=extractor, names=(LABELS[key], "real half A"))
        for key in ("generated", "real_b")
    }
    entry: dict[str, Any] = {"stage": index, "resolution": r, "d": int(np.prod(samples.shape[1:])), "beta": beta}
    if features is not None:
        entry["feature_dim"] = features["real_a"].shape[1]
    return {**entry, **rows}


def _summarise(caught: Sequence[warnings.WarningMessage], result: Mapping[str, Any]) -> list[str]:
    """One line for all sample-size warnings (they repeat per stage and set), the others verbatim."""
    n = result["n"]
    few = [f"{s['resolution']}x{s['resolution']} (d = {s['d']})" for s in result["stages"] if n < s["d"]]
    few += sorted({f"the features (D = {s['feature_dim']})" for s in result["stages"] if n < s.get("feature_dim", 0)})
    lines = sorted({str(w.message) for w in caught if not issubclass(w.category, SampleSizeWarning)})
    if any(issubclass(w.category, SampleSizeWarning) for w in caught):
        where = ", ".join(few)
        lines.insert(
            0,
            f"N = {result['n']} is below the dimension at {where}: the Gaussian fits there have rank at most N - 1, "
            f"so Bures-W2 (and FID when N < the feature dimension) are biased upwards, the floor included",
        )
    return lines
