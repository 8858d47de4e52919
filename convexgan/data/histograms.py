r"""Per-channel histogram matching, the display post-processing of the official ProCoGAN code.

For each channel ``c`` every value :math:`v` of the images is replaced by the reference quantile at its own
quantile: :math:`v \mapsto F_{\mathrm{ref},c}^{-1}(F_{\mathrm{img},c}(v))`, with the empirical distribution
functions pooled over all pixels of the batch (as ``skimage.exposure.match_histograms(..., channel_axis=-1)``
does for a batch array). It changes the samples; results shown after it must say so.

The reference (:func:`histogram_reference`) is a seeded random subset of the data (not its first images, which
in a sorted folder can be one class or one age group), read with the run's crop and filters.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from convexgan.data.source import ImageSource


def histogram_reference(data: str | os.PathLike[str] | NDArray[Any] | ImageSource[Any], resolution: int,
                        config: dict[str, Any], *, n: int = 1000, seed: int = 0) -> NDArray[np.float32]:
    """The reference images of a run's samples: ``n`` images of ``data`` drawn at random with ``seed``.

    Parameters
    ----------
    data : path, ndarray or ImageSource
    resolution : int
        The samples' resolution.
    config : dict
        The run's recorded configuration (its ``crop``, ``include``, ``classes``, ``attributes``, ``background``
        (``'none'`` when not recorded) and ``base_resolution``, the base of every resize; runs recorded without it
        used their final resolution).
    n : int
    seed : int

    Returns
    -------
    ndarray (n', r, r, C) float32 in [0, 1], ``n' = min(n, number of images)``
    """
    from convexgan.choices import LEGACY_BACKGROUND
    from convexgan.data.open import load_images

    return load_images(data, resolution, n_images=n, seed=seed, crop=config.get("crop"),
                       include=config.get("include"), classes=config.get("classes"),
                       attributes=config.get("attributes"), background=config.get("background", LEGACY_BACKGROUND),
                       base=config.get("base_resolution") or config["resolutions"][-1])


def match_histograms(images: ArrayLike, reference: ArrayLike) -> NDArray[np.float32]:
    """Match the per-channel histogram of ``images`` to that of ``reference``.

    Parameters
    ----------
    images : array (n, H, W, C)
    reference : array (n_ref, H', W', C)

    Returns
    -------
    ndarray (n, H, W, C) float32
    """
    images = np.asarray(images, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    if images.ndim != 4 or reference.ndim != 4 or images.shape[3] != reference.shape[3]:
        raise ValueError(
            f"images {images.shape} and reference {reference.shape} must both be (n, H, W, C) with the same C"
        )
    out = np.empty_like(images)
    for c in range(images.shape[3]):
        values = images[..., c].ravel()
        ref_values, ref_counts = np.unique(reference[..., c].ravel(), return_counts=True)
        ref_quantiles = np.cumsum(ref_counts) / ref_counts.sum()
        uniq, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
        quantiles = np.cumsum(counts) / values.size
        out[..., c] = np.interp(quantiles, ref_quantiles, ref_values)[inverse].reshape(images.shape[:3])
    return out.astype(np.float32)
