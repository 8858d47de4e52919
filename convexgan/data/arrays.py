"""MNIST-style image arrays: ``.npz`` archives and IDX files (optionally gzipped), or an array in memory.

Accepted shapes: ``(n, H, W)`` grey, ``(n, H, W, 1)`` or ``(n, H, W, 3)``; dtype uint8 (0-255) or float in
:math:`[0, 1]`. In a ``.npz`` the array is ``key`` if given, else ``x_train``, else ``x``, else the only array
with at least three dimensions.
"""

from __future__ import annotations

import gzip
import os
import hashlib
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from convexgan._limits import check_declared, npz_headers
from convexgan.data.decode import DecodeLog
from convexgan.data.frames import array_to_image
from convexgan.data.source import ImageSource

IDX_TYPES: dict[int, DTypeLike] = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
NPZ_KEYS = ("x_train", "x")


def read_idx(path: str | os.PathLike[str]) -> NDArray[Any]:
    """Read an IDX file (the MNIST distribution format, optionally ``.gz``) into a numpy array.

    The header is two zero bytes, a type code, the number of dimensions ``D``, then ``D`` big-endian uint32
    sizes; the data follow in C order. The size the header declares is checked against ``CONVEXGAN_MAX_BYTES``
    before the data are read, and no more than that many bytes are decompressed.
    """
    path = Path(path)
    try:
        with (gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")) as fh:
            head = fh.read(4)
            if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in IDX_TYPES:
                raise ValueError(f"{path} is not an IDX file: bad magic bytes {head!r}")
            ndim = head[3]
            sizes = fh.read(4 * ndim)
            if len(sizes) != 4 * ndim:
                raise ValueError(f"IDX file {path} ends inside its header ({ndim} dimensions declared)")
            shape = tuple(int(v) for v in np.frombuffer(sizes, ">u4"))
            dtype = np.dtype(IDX_TYPES[head[2]])
            expected = check_declared(shape, dtype, f"IDX file {path}")
            raw = fh.read(expected + 1)
    except (OSError, EOFError) as err:
        raise ValueError(f"{path} is not a readable IDX file ({err})") from None
    if len(raw) != expected:
        total = 4 + 4 * ndim + len(raw)
        size = f"more than {total - 1}" if len(raw) > expected else str(total)
        raise ValueError(f"IDX file {path} has {size} bytes; its header {shape} implies {4 + 4 * ndim + expected}")
    return np.frombuffer(raw, dtype).reshape(shape)


def read_npz_images(path: str | os.PathLike[str], key: str | None = None) -> NDArray[Any]:
    """Return the image array of a ``.npz`` file (see the module docstring for how it is chosen).

    The chosen member's declared shape is checked against ``CONVEXGAN_MAX_BYTES`` before it is read.
    """
    try:
        return _read_npz_images(path, key)
    except (OSError, EOFError, zipfile.BadZipFile) as err:
        raise ValueError(f"{path} is not a readable .npz archive ({err})") from None
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None


def _read_npz_images(path: str | os.PathLike[str], key: str | None) -> NDArray[Any]:
    headers = npz_headers(path)
    arrays = {name: (shape, dtype) for name, (shape, dtype) in headers.items()
              if shape is not None and dtype is not None}
    if key is None:
        candidates = [name for name in NPZ_KEYS if name in arrays][:1]
        candidates = candidates or [name for name in arrays if len(arrays[name][0]) >= 3]
        if len(candidates) != 1:
            raise ValueError(f"cannot tell which array holds images ({', '.join(arrays)}); pass key=")
        key = candidates[0]
    elif key not in arrays:
        raise ValueError(f"key={key!r} is not in the archive; it has {', '.join(arrays)}")
    check_declared(*arrays[key], f"member {key!r}")
    with np.load(path, allow_pickle=False) as archive:
        images: NDArray[Any] = archive[key]
    return images


def check_image_array(images: ArrayLike, name: str) -> NDArray[Any]:
    """Check the shape and range of an image array; return it with a channel axis ``(n, H, W, C)``."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[3] not in (1, 3) or images.shape[0] == 0:
        raise ValueError(f"{name} must have shape (n, H, W), (n, H, W, 1) or (n, H, W, 3) with n >= 1; got {images.shape}")
    if images.dtype != np.uint8:
        if not np.issubdtype(images.dtype, np.number):
            raise TypeError(f"{name} must hold numbers; got dtype {images.dtype}")
        if not np.all(np.isfinite(images)) or images.min() < 0 or images.max() > 1:
            raise ValueError(f"{name} must be uint8 or float in [0, 1]; got values in [{images.min()}, {images.max()}]")
    return images


class ArraySource(ImageSource[int]):
    """Images held in an array (from memory, a ``.npz`` or an IDX file).

    Parameters
    ----------
    images : array (n, H, W[, C])
        uint8 or float in [0, 1].
    description : str
    **kwargs
        ``n_images``, ``subset``, ``seed``, ``crop``, ``strict`` of :class:`ImageSource` (``include`` and
        ``classes`` need file names: folders and tar archives only).
    """

    def __init__(self, images: ArrayLike, description: str = "image array", **kwargs: Any) -> None:
        self.images = check_image_array(images, description)
        for name in ("include", "classes"):
            if kwargs.get(name):
                raise ValueError(f"{name}={kwargs[name]!r} selects files by name; {description} is an array "
                                 f"(use a folder or tar archive)")
        super().__init__(description, list(range(len(self.images))), **kwargs)

    def _list_sha256(self, names: list[str]) -> str:
        """SHA-256 of the candidate images' content: each image's shape and dtype, then its bytes, in order."""
        digest = hashlib.sha256()
        for index in names:
            image = np.ascontiguousarray(self.images[int(index)])
            digest.update(f"{image.shape}{image.dtype.str}".encode())
            digest.update(image.tobytes())
        return digest.hexdigest()

    def _relative(self, item: int) -> str:
        return str(item)

    def _name(self, item: int) -> str:
        return f"{self.description}[{item}]"

    def _decode(self, item: int, draft_frame: tuple[int, int] | None = None,
                log: DecodeLog | None = None) -> NDArray[np.uint8]:
        return np.asarray(array_to_image(self.images[item]))
