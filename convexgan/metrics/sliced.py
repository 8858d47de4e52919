r"""Sliced Wasserstein distance between Laplacian-pyramid patches (Karras et al. 2018, ProGAN, appendix D).

For each level of a Laplacian pyramid (from the image resolution down to 16x16), 128 random 7x7 neighbourhoods
per image give descriptors of length ``7 * 7 * C``; each set's descriptors are normalised per channel (mean 0,
standard deviation 1 over all its neighbourhoods and positions), and the distance between the two descriptor sets
is the sliced 1-Wasserstein distance

.. math::
    \mathrm{SWD}(A, B) = \frac{1}{K} \sum_{k=1}^{K} \frac1N \sum_{i=1}^{N}
        \big| (A \theta_k)_{(i)} - (B \theta_k)_{(i)} \big|,
    \qquad \theta_k \sim \mathrm{Unif}(S^{D-1}),

where :math:`(\cdot)_{(i)}` is the i-th smallest projection (the 1-D optimal transport between equal-size sets
pairs sorted values). Defaults follow the reference: 128 neighbourhoods per image, 4 x 128 = 512 directions.
Because each set is normalised by its own statistics, the distance compares the shape of local patch
distributions and is blind to a global change of brightness or contrast; the moment errors see those.
The pyramid filter is OpenCV's ``pyrDown``/``pyrUp`` 5x5 binomial kernel with mirrored borders.

Images: by default (``quantize=True``) both sets are clipped to [0, 1] and rounded to 256 levels first, the
8-bit images ProGAN measures and the ones FID/KID's extractors see (:mod:`convexgan.metrics.extractors`); the
unclipped variant (``quantize=False``, the model's float samples as they are) is named ``"unclipped float"`` in
the result and is not comparable with published SWD (it was 19% higher on a model's samples in the audit of
issue 12).

Reference: T. Karras, T. Aila, S. Laine, J. Lehtinen, "Progressive Growing of GANs for Improved Quality,
Stability, and Variation", ICLR 2018.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from convexgan._validation import check_int

_BINOMIAL = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0


@dataclass(frozen=True)
class SlicedWasserstein:
    """Sliced Wasserstein distance per pyramid level and averaged.

    Attributes
    ----------
    resolutions : tuple of int
        Height of each level, finest first (the last level is the low-pass residual).
    per_level : tuple of float
        SWD at each level (the reference reports these times 1e3).
    average : float
        Mean of ``per_level``.
    n_descriptors : int
        Neighbourhoods per set and level.
    n_directions : int
        Random directions per level.
    images : str
        ``"8-bit clipped"`` (default) or ``"unclipped float"``: what the distance was measured on.
    """

    resolutions: tuple[int, ...]
    per_level: tuple[float, ...]
    average: float
    n_descriptors: int
    n_directions: int
    images: str = "8-bit clipped"


def quantize_8bit(images: NDArray[np.floating[Any]]) -> NDArray[np.floating[Any]]:
    """Clip images in [0, 1] to that range and round them to 256 levels: ``round(255 clip(x, 0, 1)) / 255``."""
    return np.round(np.clip(images, 0.0, 1.0) * 255.0) / 255.0


def pyramid_resolutions(height: int, min_resolution: int = 16) -> list[int]:
    """Heights of the pyramid levels: ``height, height / 2, ...`` down to ``min_resolution`` (at least one level)."""
    levels = [height]
    while levels[-1] // 2 >= min_resolution and levels[-1] % 2 == 0:
        levels.append(levels[-1] // 2)
    return levels


def laplacian_pyramid(images: ArrayLike, n_levels: int) -> list[NDArray[np.float64]]:
    r"""Laplacian pyramid of images: band-pass levels :math:`L_i = G_i - \mathrm{up}(G_{i+1})` and the residual.

    :math:`G_0` is the image, :math:`G_{i+1} = \mathrm{down}(G_i)` (5x5 binomial blur, keep even pixels), the last
    level is :math:`G_{T-1}` itself, so the sum of the up-sampled levels gives back the image.

    Parameters
    ----------
    images : array-like (n, H, W, C)
        H and W divisible by ``2 ** (n_levels - 1)``.
    n_levels : int >= 1

    Returns
    -------
    levels : list of ndarray (n, C, H / 2^i, W / 2^i), float64
    """
    gauss = np.moveaxis(np.asarray(images, dtype=np.float64), -1, 1)
    levels: list[NDArray[np.float64]] = []
    for _ in range(n_levels - 1):
        low = _blur(gauss, 1.0)[:, :, ::2, ::2]
        levels.append(gauss - _upsample(low))
        gauss = low
    levels.append(gauss)
    return levels


def patch_descriptors(level: NDArray[np.float64], rng: np.random.Generator, *, nhood_size: int = 7,
                      nhoods_per_image: int = 128) -> NDArray[np.float32]:
    r"""Random ``nhood_size x nhood_size`` neighbourhoods of one pyramid level, normalised per channel.

    Parameters
    ----------
    level : ndarray (n, C, h, w)
    rng : numpy.random.Generator
        Draws the neighbourhood centres.
    nhood_size : int, odd
    nhoods_per_image : int

    Returns
    -------
    descriptors : ndarray (n * nhoods_per_image, C * nhood_size^2), float32
        Each channel has mean 0 and standard deviation 1 over all neighbourhoods and positions (a constant
        channel stays 0).
    """
    n, _, h, w = level.shape
    r = nhood_size // 2
    count = n * nhoods_per_image
    image = np.repeat(np.arange(n), nhoods_per_image)
    y = rng.integers(0, h - 2 * r, size=count)
    x = rng.integers(0, w - 2 * r, size=count)
    windows = np.lib.stride_tricks.sliding_window_view(level, (nhood_size, nhood_size), axis=(2, 3))
    desc = windows[image, :, y, x].astype(np.float32)
    desc -= desc.mean(axis=(0, 2, 3), keepdims=True)
    std = desc.std(axis=(0, 2, 3), keepdims=True)
    desc /= np.where(std > 0, std, 1.0)
    return desc.reshape(count, -1)


def sliced_wasserstein(A: NDArray[np.floating[Any]], B: NDArray[np.floating[Any]], rng: np.random.Generator, *,
                       n_directions: int = 512, chunk: int = 128) -> float:
    r"""Sliced 1-Wasserstein distance between two equal-size point sets, averaged over random directions.

    .. math::
        \frac{1}{K N} \sum_{k=1}^{K} \sum_{i=1}^{N} \big| \operatorname{sort}(A\theta_k)_i
            - \operatorname{sort}(B\theta_k)_i \big|, \qquad \theta_k \sim \mathrm{Unif}(S^{D-1}).

    Parameters
    ----------
    A, B : ndarray (N, D)
    rng : numpy.random.Generator
        Draws the directions.
    n_directions : int
        K.
    chunk : int
        Directions projected at once (memory ``N x chunk``).

    Returns
    -------
    swd : float
    """
    if A.shape != B.shape:
        raise ValueError(f"A and B must have the same shape (equal sample counts); got {A.shape} and {B.shape}")
    total = 0.0
    for start in range(0, n_directions, chunk):
        theta = rng.standard_normal((A.shape[1], min(chunk, n_directions - start)))
        theta = (theta / np.linalg.norm(theta, axis=0)).astype(A.dtype).T
        # projections as rows (directions x points), so each sort runs along contiguous memory
        total += np.abs(np.sort(theta @ A.T, axis=1) - np.sort(theta @ B.T, axis=1)).sum(dtype=np.float64)
    return float(total / (A.shape[0] * n_directions))


def sliced_wasserstein_pyramid(
    images_a: ArrayLike, images_b: ArrayLike, *, seed: int | np.random.Generator | None = 0, nhood_size: int = 7,
    nhoods_per_image: int = 128, n_directions: int = 512, min_resolution: int = 16, quantize: bool = True,
) -> SlicedWasserstein:
    r"""ProGAN's sliced Wasserstein distance between two image sets, per Laplacian-pyramid level and averaged.

    Levels go from the image height down to ``min_resolution`` (the reference's 16); an image smaller than
    ``min_resolution`` gives one level, the image itself.

    Parameters
    ----------
    images_a, images_b : array-like (n, H, W, C)
        Images in [0, 1] (any common range with ``quantize=False``); equal counts and shapes,
        ``H, W >= nhood_size``.
    seed : int or numpy.random.Generator
        Draws the neighbourhoods and directions.
    nhood_size : int, odd
    nhoods_per_image : int
    n_directions : int
    min_resolution : int
    quantize : bool
        Measure on the 8-bit clipped images (:func:`quantize_8bit`, the default, as ProGAN, FID and KID) or on the
        images as given (the ``"unclipped float"`` variant).

    Returns
    -------
    SlicedWasserstein

    References
    ----------
    .. [1] T. Karras, T. Aila, S. Laine and J. Lehtinen, "Progressive Growing of GANs for Improved Quality,
           Stability, and Variation", ICLR 2018.
    """
    images_a = _as_images(images_a, "images_a")
    images_b = _as_images(images_b, "images_b")
    if images_a.shape != images_b.shape:
        raise ValueError(
            f"images_a and images_b must have the same shape (equal counts); got {images_a.shape} and {images_b.shape}"
        )
    nhood_size = check_int(nhood_size, "nhood_size", 1, min(images_a.shape[1:3]))
    if nhood_size % 2 == 0:
        raise ValueError(f"nhood_size={nhood_size} must be odd")
    nhoods_per_image = check_int(nhoods_per_image, "nhoods_per_image", 1, 10**6)
    n_directions = check_int(n_directions, "n_directions", 1, 10**6)
    resolutions = pyramid_resolutions(images_a.shape[1], check_int(min_resolution, "min_resolution", 1, 10**6))
    while images_a.shape[2] % 2 ** (len(resolutions) - 1):
        resolutions.pop()
    if quantize:
        images_a, images_b = quantize_8bit(images_a), quantize_8bit(images_b)
    rng = np.random.default_rng(seed)
    levels_a = laplacian_pyramid(images_a, len(resolutions))
    levels_b = laplacian_pyramid(images_b, len(resolutions))
    per_level: list[float] = []
    for level_a, level_b in zip(levels_a, levels_b):
        desc_a = patch_descriptors(level_a, rng, nhood_size=nhood_size, nhoods_per_image=nhoods_per_image)
        desc_b = patch_descriptors(level_b, rng, nhood_size=nhood_size, nhoods_per_image=nhoods_per_image)
        per_level.append(sliced_wasserstein(desc_a, desc_b, rng, n_directions=n_directions))
    return SlicedWasserstein(
        resolutions=tuple(resolutions),
        per_level=tuple(per_level),
        average=float(np.mean(per_level)),
        n_descriptors=images_a.shape[0] * nhoods_per_image,
        n_directions=n_directions,
        images="8-bit clipped" if quantize else "unclipped float",
    )


def _as_images(images: ArrayLike, name: str) -> NDArray[Any]:
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"{name} must be a 4-D array (n, H, W, C); got shape {images.shape}")
    if not np.all(np.isfinite(images)):
        raise ValueError(f"{name} must be finite")
    return images


def _blur(x: NDArray[np.float64], gain: float) -> NDArray[np.float64]:
    r"""Separable 5x5 binomial filter (OpenCV's pyramid kernel times ``gain**2``) on the last two axes, mirrored."""
    kernel = _BINOMIAL * gain
    return ndimage.convolve1d(ndimage.convolve1d(x, kernel, axis=2, mode="mirror"), kernel, axis=3, mode="mirror")


def _upsample(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """OpenCV's ``pyrUp``: insert zeros between pixels, then blur with 4 times the kernel."""
    n, c, h, w = x.shape
    up = np.zeros((n, c, 2 * h, 2 * w), dtype=x.dtype)
    up[:, :, ::2, ::2] = x
    return _blur(up, 2.0)
