"""Open any supported image source from a path, and read a whole source at one resolution."""

from __future__ import annotations

import os
import tarfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from convexgan.choices import LEGACY_BACKGROUND
from convexgan.data.archive import TarSource
from convexgan.data.arrays import ArraySource, read_idx, read_npz_images
from convexgan.data.folder import FolderSource
from convexgan.data.source import ImageSource

ImageData = str | os.PathLike[str] | NDArray[Any] | ImageSource[Any]
"""What :func:`open_images` opens: a path (folder, tar archive, ``.npz``/IDX), an image array or a source."""


def open_images(data: ImageData, *, n_images: int | None = None,
                subset: str = "random", seed: int = 0, include: str | Sequence[str] | None = None,
                classes: str | Sequence[str] | None = None, crop: str | bool = "none",
                attributes: dict[str, bool] | None = None, attributes_file: str | os.PathLike[str] | None = None,
                strict: bool = False, key: str | None = None,
                background: str = LEGACY_BACKGROUND) -> ImageSource[Any]:
    """Open an image source.

    Parameters
    ----------
    data : path, ndarray or ImageSource
        A folder of images (e.g. CelebA ``img_align_celeba`` or its parent), a tar archive, a ``.npz``, an IDX
        file, an array ``(n, H, W[, C])`` (uint8 or float in [0, 1]), or an already open source (returned as is).
    n_images : int or None
        Keep ``n_images`` images (of those the filters keep), chosen by ``subset``; None keeps them all.
    subset : {'random', 'first'}
        ``'random'`` (default): a seeded random subset, stable across versions, read in sorted order;
        ``'first'``: the first ``n_images`` in sorted order (see :mod:`convexgan.data.subsets`).
    seed : int
        Seed of the random subset.
    include : str, sequence of str or None
        Shell-style patterns on the path relative to the folder (or the tar member name); an image is kept when
        it matches one (see :mod:`convexgan.data.filters`).
    classes : str, sequence of str or None
        Keep the images whose folder has one of these names (CIFAR-style class folders).
    crop : {'none', 'center', 'celeba'} or bool
        ``'none'`` (default; non-square frames are squashed, with a warning), ``'center'`` (largest centred
        square) or ``'celeba'`` (official CelebA 128 x 128 box at (89, 121), scaled to the frame size); True
        and False mean ``'celeba'`` and ``'none'``.
    attributes : dict or None
        CelebA attribute filter, e.g. ``{"Smiling": True, "Eyeglasses": False}`` (folders and tar archives).
    attributes_file : path or None
        ``list_attr_celeba.txt`` when it is not beside the images.
    strict : bool
        Stop at the first unreadable image instead of skipping it with a count and a warning.
    key : str or None
        Array name inside a ``.npz``.
    background : str
        Image files with transparency are composited onto this colour (a name such as ``'white'``, ``#rrggbb``
        or ``r,g,b``; :mod:`convexgan.data.alpha`); ``'none'`` (the default here) drops the alpha channel.

    Returns
    -------
    ImageSource

    Examples
    --------
    >>> from convexgan.data import toy_images
    >>> source = open_images(toy_images(10, 8, seed=0))
    >>> len(source)
    10
    """
    if isinstance(data, ImageSource):
        return data
    common: dict[str, Any] = {"n_images": n_images, "subset": subset, "seed": seed, "include": include,
                              "classes": classes, "crop": crop, "strict": strict,
                              "background": background}
    if isinstance(data, np.ndarray):
        return ArraySource(data, **common)
    path = Path(data)
    if not path.exists():
        raise FileNotFoundError(f"data source {path} does not exist")
    if path.is_dir():
        return FolderSource(path, attributes=attributes, attributes_file=attributes_file, **common)
    if attributes:
        if not tarfile.is_tarfile(path):
            raise ValueError(f"attributes={attributes!r} needs a CelebA folder or tar archive; got {path}")
    if path.suffix == ".npz":
        return ArraySource(read_npz_images(path, key), f"{path}", **common)
    if tarfile.is_tarfile(path):
        return TarSource(path, attributes=attributes, attributes_file=attributes_file, **common)
    try:
        return ArraySource(read_idx(path), f"{path}", **common)
    except ValueError as err:
        raise ValueError(f"data source {path} is not a folder, tar archive, .npz or IDX file ({err})") from None


def load_images(data: str | os.PathLike[str] | NDArray[Any] | ImageSource[Any], resolution: int, *,
                chunk_size: int = 256, base: int | None = None, **kwargs: Any) -> NDArray[np.float32]:
    """Read every image of a source at one resolution.

    Parameters
    ----------
    data : path, ndarray or ImageSource
        See :func:`open_images`.
    resolution : int
        Square size ``r``.
    chunk_size : int
        Images decoded per chunk.
    base : int or None
        Resize every frame to ``base x base`` first, then to ``resolution`` (the trainer uses its final
        resolution); default: directly to ``resolution``.
    **kwargs
        Passed to :func:`open_images` (``n_images``, ``subset``, ``seed``, ``crop``, ``attributes``, ...).

    Returns
    -------
    ndarray (n, r, r, C) float32 in [0, 1]
        This holds all pixels in memory; the trainer never calls it (it streams chunks instead).
    """
    source = open_images(data, **kwargs)
    chunks = [c[resolution] for c in source.iter_chunks([resolution], chunk_size, base=base)]
    if source is not data:
        source.close()
    if not chunks:
        raise ValueError(f"no readable image in {source.description}")
    return np.concatenate(chunks)
