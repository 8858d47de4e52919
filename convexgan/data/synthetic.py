r"""Generated images for tests and demos: smooth random fields, exactly reproducible from a seed.

Image ``i`` is :math:`\mathrm{clip}(0.5 + \sum_j a_{ij} \cos(2\pi (f_j \cdot p) + \phi_j), 0, 1)` over pixel
positions ``p`` in the unit square, with a few fixed low frequencies ``f_j`` and phases, and random amplitudes
``a_ij`` (so the pixel covariance has a decaying spectrum, like natural images).
"""

import numpy as np
from numpy.typing import NDArray

from convexgan._validation import check_int


def toy_images(n: int, size: int = 32, *, channels: int = 3, components: int = 12,
               seed: int | None = 0) -> NDArray[np.uint8]:
    """Return ``n`` generated images.

    Parameters
    ----------
    n, size : int
        Number of images and their side.
    channels : int
        1 (grey) or 3 (colour).
    components : int
        Number of cosine patterns mixed.
    seed : int
        Seed of the random amplitudes, frequencies and phases.

    Returns
    -------
    ndarray (n, size, size, channels) uint8

    Examples
    --------
    >>> images = toy_images(4, 16, seed=0)
    >>> images.shape, images.dtype.name
    ((4, 16, 16, 3), 'uint8')
    >>> bool((toy_images(4, 16, seed=0) == images).all())
    True
    """
    n = check_int(n, "n", 1, 10**7)
    size = check_int(size, "size", 2, 4096)
    channels = check_int(channels, "channels", 1, 3)
    if channels == 2:
        raise ValueError("channels=2 must be 1 or 3")
    rng = np.random.default_rng(seed)
    freqs = rng.integers(-3, 4, size=(components, 2))
    phases = rng.uniform(0, 2 * np.pi, size=(components, channels))
    decay = 0.25 / (1.0 + np.arange(components))
    amplitudes = rng.standard_normal((n, components)) * decay
    grid = np.stack(np.meshgrid(np.arange(size), np.arange(size), indexing="ij"), -1) / size
    patterns = np.cos(2 * np.pi * (grid @ freqs.T)[..., None] + phases)
    images = 0.5 + np.einsum("nc,hwck->nhwk", amplitudes, patterns)
    return np.clip(np.rint(images * 255), 0, 255).astype(np.uint8)
