"""Image sources for the progressive trainer: folders (CelebA layout), tar archives, MNIST-style arrays.

Public API
----------
``open_images(data, *, n_images=None, subset='random', seed=0, include=None, classes=None, crop='none', ...)``
    An :class:`ImageSource`; ``source.iter_chunks(resolutions, chunk_size)`` yields
    ``{r: ndarray (b, r, r, C) float32 in [0, 1]}`` chunk by chunk.
``load_images(data, resolution, **kwargs)``
    All images of a source at one resolution, ``ndarray (n, r, r, C)`` float32 in [0, 1].
``toy_images(n, size=32, *, channels=3, seed=0)``
    Generated uint8 images ``(n, size, size, channels)`` for tests and demos.
``read_idx(path)``
    An IDX (MNIST distribution) file as a numpy array.
"""

from convexgan._extras import require

require("train", "PIL", user=__name__)

from convexgan.data.arrays import ArraySource, read_idx
from convexgan.data.frames import RESAMPLING
from convexgan.data.open import load_images, open_images
from convexgan.data.source import ImageSource
from convexgan.data.synthetic import toy_images

__all__ = ["ArraySource", "ImageSource", "RESAMPLING", "load_images", "open_images", "read_idx", "toy_images"]
