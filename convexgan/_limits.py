"""Memory bounds checked before allocation: declared array shapes, requested sizes and image files.

Two limits, each raised by an environment variable:

- ``CONVEXGAN_MAX_BYTES`` (default: the machine's physical memory): the largest single array convexgan
  allocates for an input or an output. The shape an ``.npy`` header, an ``.npz`` member's header or a
  command-line size declares is multiplied out and compared with it *before* anything is read or allocated,
  so a 228-byte file declaring ``(10**7, 10**7)`` float64 is refused at once instead of ending in a
  ``MemoryError``.
- ``CONVEXGAN_MAX_IMAGE_FILE_BYTES`` (default 256 MiB): the largest image file read from an archive; a larger
  member is skipped (or refused with ``strict``) from its declared size, and at most that many bytes are read
  while decompressing.

Both accept a number of bytes with an optional suffix ``K``, ``M``, ``G`` or ``T`` (powers of 1024), e.g.
``CONVEXGAN_MAX_BYTES=64G``. Decoded image sizes are bounded by Pillow's decompression-bomb limit
(``PIL.Image.MAX_IMAGE_PIXELS``).
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Iterable
from typing import IO, Any

import numpy as np
from numpy.typing import DTypeLike
from numpy.lib import format as npy_format

MAX_BYTES = "CONVEXGAN_MAX_BYTES"
MAX_IMAGE_FILE_BYTES = "CONVEXGAN_MAX_IMAGE_FILE_BYTES"
DEFAULT_IMAGE_FILE_BYTES = 256 * 2**20
SUFFIXES = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def physical_memory() -> int:
    """Bytes of physical memory of this machine (16 GiB when the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 16 * 2**30


def _read_limit(variable: str, default: int) -> int:
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    match = re.fullmatch(r"(\d+)\s*([KMGT]?)(?:i?B)?", text, flags=re.IGNORECASE)
    if not match:
        raise ValueError(f"{variable}={text!r} must be a number of bytes, optionally with K, M, G or T (e.g. 64G)")
    return int(match.group(1)) * SUFFIXES[match.group(2).upper()]


def max_bytes() -> int:
    """The largest single array allocation allowed (``CONVEXGAN_MAX_BYTES``, default: physical memory)."""
    return _read_limit(MAX_BYTES, physical_memory())


def max_image_file_bytes() -> int:
    """The largest image file read from an archive (``CONVEXGAN_MAX_IMAGE_FILE_BYTES``, default 256 MiB)."""
    return _read_limit(MAX_IMAGE_FILE_BYTES, DEFAULT_IMAGE_FILE_BYTES)


def format_bytes(nbytes: float) -> str:
    """``nbytes`` bytes in readable units (``'1.5 GiB'``)."""
    n = float(nbytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} EiB"


def array_bytes(shape: Iterable[int], dtype: DTypeLike) -> int:
    """Bytes of an array of ``shape`` and ``dtype`` (exact Python integer: no overflow)."""
    count = 1
    for size in shape:
        count *= int(size)
    return count * np.dtype(dtype).itemsize


def check_bytes(nbytes: int, what: str) -> int:
    """Raise ``ValueError`` naming ``what`` when ``nbytes`` exceeds :func:`max_bytes`; return ``nbytes``.

    Parameters
    ----------
    nbytes : int
        What the allocation would need.
    what : str
        The argument or file and what it asks for, e.g. ``"--n=10**9 samples of 8x8x3 float32"``.
    """
    limit = max_bytes()
    if nbytes > limit:
        raise ValueError(
            f"{what} would need {format_bytes(nbytes)} ({nbytes} bytes), above the limit of {format_bytes(limit)}; "
            f"set {MAX_BYTES} to raise it"
        )
    return nbytes


def read_npy_header(fh: IO[bytes]) -> tuple[tuple[int, ...], np.dtype[Any]]:
    """``(shape, dtype)`` declared by the ``.npy`` header at the current position of ``fh`` (no data read).

    Raises ``ValueError`` when the header is not a valid ``.npy`` header.
    """
    version = npy_format.read_magic(fh)
    if version == (1, 0):
        shape, _, dtype = npy_format.read_array_header_1_0(fh)
    elif version in ((2, 0), (3, 0)):
        shape, _, dtype = npy_format.read_array_header_2_0(fh)
    else:
        raise ValueError(f".npy format version {version} is not supported")
    return tuple(int(s) for s in shape), np.dtype(dtype)


def npy_header(path: str | os.PathLike[str]) -> tuple[tuple[int, ...], np.dtype[Any]]:
    """``(shape, dtype)`` declared by the header of the ``.npy`` file ``path``."""
    with open(path, "rb") as fh:
        return read_npy_header(fh)


def npz_headers(path: str | os.PathLike[str]) -> dict[str, tuple[tuple[int, ...] | None, np.dtype[Any] | None]]:
    """``{name: (shape, dtype)}`` declared by the member headers of the ``.npz`` file ``path`` (no data read).

    Raises ``ValueError`` (or ``zipfile.BadZipFile``/``OSError``) when the archive or a member header is not
    readable; a member whose name does not end in ``.npy`` is listed with the shape ``None``.
    """
    headers: dict[str, tuple[tuple[int, ...] | None, np.dtype[Any] | None]] = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if not info.filename.endswith(".npy"):
                headers[info.filename] = (None, None)
                continue
            with archive.open(info) as fh:
                headers[info.filename[: -len(".npy")]] = read_npy_header(fh)
    return headers


def check_declared(shape: Iterable[int], dtype: DTypeLike, what: str) -> int:
    """Check the bytes a declared ``(shape, dtype)`` needs against :func:`max_bytes` (see :func:`check_bytes`)."""
    return check_bytes(array_bytes(shape, dtype), f"{what} (declared shape {shape}, dtype {dtype})")
