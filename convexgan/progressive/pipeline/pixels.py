r"""The pixel cache: the 8-bit pixels of every resolution still to train, decoded once.

One decoding pass over an image source stores, for every resolution :math:`r` the run still has to train,
the matrix :math:`P_r \in \{0, \dots, 255\}^{n \times d}` (:math:`d = r^2 C`, rows flattened in HWC order)
of exactly the 8-bit pixels :mod:`convexgan.data.frames` defines (frame, optional crop, BICUBIC resize to the
base resolution, then to :math:`r`). The images of a later pass are :math:`X_r = P_r / 255`, so every pass
after the first (the moments, the operator passes of an eigen-solver, a resumed run) reads the cache instead
of decoding, and gives the same numbers as a decode would, bit for bit.

Modes (``cache=``):

``'memory'``
    numpy arrays in this process.
``'disk'``
    ``np.memmap`` files in the run folder (see :mod:`convexgan.progressive.runs.folder` for the names): written under
    temporary names, renamed when the pass has finished, and marked complete by a manifest written last
    (atomically) that holds the cache key and each file's SHA-256 (checked when the cache is reused). A later run whose key matches reuses them without decoding; a
    changed key (data fingerprint, crop, base resolution, channels, JPEG draft, process share, or a resolution
    the cache lacks) rebuilds them.
``'none'``
    no cache: every pass decodes (the moments then take one pass, as before the cache existed).
``'auto'``
    ``'memory'`` when the cache takes at most a quarter of :func:`convexgan._limits.max_bytes` (by default
    the machine's physical memory), else ``'disk'``.

Reading it: the trainer hands the cache to the stage solvers as ``Moments.pixels`` (``None`` with
``cache='none'``); ``cache.pixels(r)`` is the ``(n, r*r*C)`` uint8 matrix of this process's images and
``cache.iter_chunks([r], chunk_size)`` yields its row blocks, the integer pixels the moments were summed from
(:mod:`convexgan.progressive.pipeline.moments`).

Every mode except ``'none'`` reuses a complete disk cache whose key matches, and a memory cache is written to
the run folder as a disk cache when the training is interrupted (Ctrl-C), so that ``--resume`` does not decode
again. Memory: the cache holds
:math:`n_{\mathrm{local}} \sum_r r^2 C` bytes (163 MB for 10,000 colour images at 4 ... 64, 641 MB for
9,780 at 4 ... 128). Under ``torchrun`` each process caches its own share, the items ``i`` with
``i % world_size == rank`` (as :meth:`convexgan.data.ImageSource.iter_chunks` reads them), in files named by
its rank.
"""

import errno
import hashlib
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from convexgan._files import atomic_write, atomic_write_text, current_umask
from convexgan._limits import array_bytes, check_bytes, format_bytes, max_bytes
from convexgan._validation import check_choice
from convexgan.data.fingerprint import ARRAY_METHOD, FOLDER_METHOD, TAR_METHOD
from convexgan.data.frames import crop_method
from convexgan.exceptions import CorruptCacheWarning
from convexgan.choices import CACHE_MODES, LEGACY_BACKGROUND

KEY_VERSION = 2
AUTO_MEMORY_FRACTION = 4
HASH_BLOCK = 1 << 26


def manifest_path(folder: str | os.PathLike[str], rank: int, world_size: int) -> Path:
    """The manifest of process ``rank``'s disk cache (its presence marks the cache complete)."""
    return Path(folder) / f"pixels_rank{rank}of{world_size}.json"


def pixels_path(folder: str | os.PathLike[str], rank: int, world_size: int, resolution: int) -> Path:
    """The memmap file of process ``rank``'s pixels at ``resolution`` (``n_local x r*r*C`` uint8, C order)."""
    return Path(folder) / f"pixels_rank{rank}of{world_size}_{resolution}x{resolution}.u8"


def cache_key(fingerprint: Mapping[str, Any], *, crop: str | bool, base: int, resolutions: Iterable[int], channels: int,
              draft: bool, rank: int, world_size: int, background: str = LEGACY_BACKGROUND) -> dict[str, Any]:
    """What a disk cache must match to be reused (JSON-able).

    Parameters
    ----------
    fingerprint : dict
        The data fingerprint's summary (:func:`convexgan.data.fingerprint.data_fingerprint`).
    crop : {'none', 'center', 'celeba'} or bool
    base : int
        The size every frame is resized to first.
    resolutions : sequence of int
    channels : int
    draft : bool
        JPEG draft decoding (changes the pixels).
    rank, world_size : int
        This process's share.
    background : str
        The colour transparent images were composited onto (:mod:`convexgan.data.alpha`); ``'none'`` (alpha
        dropped) adds nothing to the key, so that the caches of earlier versions keep matching.
    """
    return {"version": KEY_VERSION, "data_fingerprint": fingerprint, "crop": crop_method(crop), "base": int(base),
            "resolutions": sorted(int(r) for r in resolutions), "channels": int(channels), "draft": bool(draft),
            "rank": int(rank), "world_size": int(world_size),
            **({} if background == LEGACY_BACKGROUND else {"background": background})}


def cache_bytes(n: int, resolutions: Iterable[int], channels: int) -> int:
    """Bytes of the cache of ``n`` images at ``resolutions`` with ``channels`` channels."""
    return sum(array_bytes((n, r * r * channels), np.uint8) for r in resolutions)


def resolve_mode(mode: str, nbytes: int) -> str:
    """``mode`` with ``'auto'`` decided for a cache of ``nbytes`` (see the module docstring)."""
    check_choice(mode, "cache", CACHE_MODES)
    if mode != "auto":
        return mode
    return "memory" if nbytes <= max_bytes() // AUTO_MEMORY_FRACTION else "disk"


class PixelCache:
    r"""The cached pixels of this process's images.

    Attributes
    ----------
    n : int
        Number of images this process holds (its share of the readable images).
    resolutions : list of int
        Resolutions held, increasing.
    channels : int
    mode : {'memory', 'disk'}
    key : dict or None
        The cache key (:func:`cache_key`).
    """

    def __init__(self, arrays: Mapping[int, NDArray[np.uint8]], channels: int, mode: str,
                 key: dict[str, Any] | None = None) -> None:
        self._arrays = dict(arrays)
        self.resolutions = sorted(self._arrays)
        self.channels = int(channels)
        self.mode = mode
        self.key = key
        self.n = int(next(iter(self._arrays.values())).shape[0]) if self._arrays else 0

    def pixels(self, resolution: int) -> NDArray[np.uint8]:
        """The pixels at ``resolution``: ``(n, r*r*C)`` uint8, rows flattened HWC (an ndarray or a read-only memmap)."""
        if resolution not in self._arrays:
            raise ValueError(f"resolution={resolution!r} is not in the pixel cache; it holds {self.resolutions}")
        return self._arrays[resolution]

    @property
    def nbytes(self) -> int:
        """Bytes held (in memory or on disk)."""
        return sum(a.nbytes for a in self._arrays.values())

    def iter_chunks(self, resolutions: Iterable[int], chunk_size: int = 256) -> Iterator[dict[int, NDArray[np.uint8]]]:
        """Yield ``{r: ndarray (b, r, r, C) uint8}`` chunk by chunk (views of the cache, in item order)."""
        resolutions = sorted(set(resolutions))
        for r in resolutions:
            self.pixels(r)
        for start in range(0, self.n, chunk_size):
            yield {r: self._arrays[r][start : start + chunk_size].reshape(-1, r, r, self.channels)
                   for r in resolutions}


class PixelWriter:
    """Fill a pixel cache chunk by chunk during a decoding pass; :meth:`finish` returns the :class:`PixelCache`.

    Parameters
    ----------
    mode : {'memory', 'disk'}
    capacity : int
        Most images the pass can yield (this process's share of the items).
    resolutions : sequence of int
    channels : int
    folder : path or None
        Run folder (``'disk'``).
    key : dict or None
        The cache key written into the manifest (``'disk'``).
    """

    def __init__(self, mode: str, capacity: int, resolutions: Iterable[int], channels: int, *,
                 folder: str | os.PathLike[str] | None = None, key: dict[str, Any] | None = None) -> None:
        check_choice(mode, "cache", ("memory", "disk"))
        if mode == "disk" and (folder is None or key is None):
            raise ValueError("cache='disk' needs a run folder and a cache key")
        self.mode, self.channels, self.key = mode, int(channels), key
        self.resolutions = sorted(set(int(r) for r in resolutions))
        self.folder = Path(folder) if folder is not None else None
        self.count = 0
        self._temporary: dict[int, Path] = {}
        self._arrays: dict[int, NDArray[np.uint8]] = {}
        nbytes = cache_bytes(capacity, self.resolutions, self.channels)
        what = f"the pixel cache (cache={mode!r}) of {capacity} images at resolutions {self.resolutions}"
        if mode == "memory":
            check_bytes(nbytes, what)
        elif nbytes > shutil.disk_usage(self.folder).free:  # type: ignore[arg-type]  # 'disk' has a folder (above)
            raise ValueError(f"{what} would need {format_bytes(nbytes)} on disk in {self.folder}, which has "
                             f"{format_bytes(shutil.disk_usage(self.folder).free)} "  # type: ignore[arg-type]
                             f"free; pass cache='none' (--cache "
                             f"none) or free some space")
        for r in self.resolutions:
            shape = (capacity, r * r * self.channels)
            if mode == "memory" or capacity == 0:
                self._arrays[r] = np.empty(shape, np.uint8)
                continue
            assert self.folder is not None and key is not None  # cache='disk', checked above
            final = pixels_path(self.folder, key["rank"], key["world_size"], r)
            fd, name = tempfile.mkstemp(dir=self.folder, prefix=f".{final.name}.", suffix=".tmp")
            self._temporary[r] = Path(name)
            os.fchmod(fd, 0o666 & ~current_umask())
            try:
                _reserve(fd, array_bytes(shape, np.uint8), what, str(final))
            except BaseException:
                os.close(fd)
                self.discard()
                raise
            os.close(fd)
            self._arrays[r] = np.memmap(name, np.uint8, mode="w+", shape=shape)

    def add(self, chunk: Mapping[int, NDArray[np.uint8]]) -> None:
        """Store one chunk ``{r: (b, r, r, C) uint8}`` after the previous ones."""
        b = next(iter(chunk.values())).shape[0]
        for r in self.resolutions:
            self._arrays[r][self.count : self.count + b] = chunk[r].reshape(b, -1)
        self.count += b

    def finish(self) -> PixelCache:
        """The pass has ended: return the cache of the ``count`` images stored (disk: files renamed, manifest last)."""
        if self.mode == "memory" or not self._temporary:
            arrays = {r: a[: self.count] for r, a in self._arrays.items()}
            return PixelCache(arrays, self.channels, "memory", self.key)
        assert self.folder is not None and self.key is not None  # a disk writer (checked in __init__)
        rank, size = self.key["rank"], self.key["world_size"]
        for array in self._arrays.values():
            array.flush()  # type: ignore[attr-defined]  # np.memmap on the disk path
        self._arrays = {}
        for r, temporary in self._temporary.items():
            with open(temporary, "rb+") as fh:
                fh.truncate(self.count * r * r * self.channels)
                os.fsync(fh.fileno())
            os.replace(temporary, pixels_path(self.folder, rank, size, r))
        self._temporary = {}
        cache = _open_files(self.folder, self.key, self.resolutions, self.count)
        assert cache is not None  # the files were just written with the sizes it checks
        _write_manifest(self.folder, cache)
        return cache

    def discard(self) -> None:
        """Remove the temporary files of an unfinished pass."""
        self._arrays = {}
        for path in self._temporary.values():
            path.unlink(missing_ok=True)
        self._temporary = {}


def _reserve(fd: int, nbytes: int, what: str, name: str) -> None:
    """Allocate the file's blocks now, so that a full disk is an error here and not a crash (SIGBUS) on a write
    through the memory map; where the file system cannot reserve blocks the free-space check has to do."""
    try:
        os.posix_fallocate(fd, 0, nbytes)
    except OSError as err:
        if err.errno in (errno.ENOSPC, errno.EFBIG):
            raise ValueError(f"{what} does not fit on the disk ({err.strerror}: {format_bytes(nbytes)} in "
                             f"{name}); pass cache='none' (--cache none) "
                             f"or free some space") from None
    except AttributeError:
        pass


def _compatible(recorded: object, key: Mapping[str, Any], resolutions: Iterable[int]) -> bool:
    if not isinstance(recorded, dict) or not isinstance(recorded.get("resolutions"), list):
        return False
    same = all(recorded.get(name) == value for name, value in key.items() if name != "resolutions")
    return same and set(resolutions) <= set(recorded["resolutions"])


def open_disk_cache(folder: str | os.PathLike[str] | None, key: Mapping[str, Any],
                    resolutions: Iterable[int]) -> PixelCache | None:
    """The complete disk cache in ``folder`` matching ``key`` and holding ``resolutions``, else ``None``.

    A cache is reused only when its manifest exists, records the same key (any resolutions it holds beyond
    ``resolutions`` are ignored), the data fingerprint is a real one (not ``'none ...'``), every file
    has the size the manifest implies and the SHA-256 it records (a changed file is reported with a
    :class:`~convexgan.exceptions.CorruptCacheWarning` and the images are decoded again).
    """
    if folder is None or key["data_fingerprint"].get("method") not in (FOLDER_METHOD, TAR_METHOD, ARRAY_METHOD):
        return None
    path = manifest_path(folder, key["rank"], key["world_size"])
    try:
        # the cache is a cache: a manifest that is not a regular file, not JSON, nested past the recursion limit
        # or of another shape means "no cache", and the images are decoded again
        manifest = json.loads(path.read_text()) if path.is_file() else None
        if not isinstance(manifest, dict) or not _compatible(manifest.get("key"), key, resolutions):
            return None
    except (OSError, ValueError, RecursionError, TypeError):
        return None
    n = manifest.get("n")
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        return None
    cache = _open_files(folder, manifest["key"], resolutions, n)
    recorded = manifest.get("sha256")
    for r in [] if cache is None else cache.resolutions:
        checksum = pixel_checksum(cache.pixels(r))  # type: ignore[union-attr]  # the loop runs only for a cache
        if not isinstance(recorded, dict) or recorded.get(str(r)) != checksum:
            warnings.warn(f"the pixel cache {pixels_path(folder, key['rank'], key['world_size'], r)} differs from "
                          f"the SHA-256 its manifest {path} recorded when it was written; decoding the images again",
                          CorruptCacheWarning, stacklevel=3)
            return None
    return cache


def pixel_checksum(pixels: NDArray[np.uint8]) -> str:
    """SHA-256 (hex) of a cache matrix's bytes, read in blocks of ``HASH_BLOCK`` bytes (a memmap stays on disk)."""
    digest = hashlib.sha256()
    rows = max(1, HASH_BLOCK // max(1, pixels.shape[1]))
    for start in range(0, pixels.shape[0], rows):
        # (ignore below) numpy declares its buffer protocol to type checkers from Python 3.12 only
        digest.update(memoryview(np.ascontiguousarray(pixels[start : start + rows])))  # type: ignore[arg-type]
    return digest.hexdigest()


def _open_files(folder: str | os.PathLike[str], key: dict[str, Any], resolutions: Iterable[int],
                n: int) -> PixelCache | None:
    """Memory-map the cache files of ``resolutions`` (``n`` rows each); ``None`` when one is missing or mis-sized."""
    arrays: dict[int, NDArray[np.uint8]] = {}
    for r in sorted(set(resolutions)):
        d = r * r * key["channels"]
        file = pixels_path(folder, key["rank"], key["world_size"], r)
        if not file.is_file() or file.stat().st_size != n * d:
            return None
        arrays[r] = np.memmap(file, np.uint8, mode="r", shape=(n, d)) if n else np.empty((0, d), np.uint8)
    return PixelCache(arrays, key["channels"], "disk", key)


def _write_manifest(folder: str | os.PathLike[str], cache: PixelCache) -> None:
    """The manifest of a complete disk cache (written last, atomically): its key, row count and checksums."""
    key = cache.key
    assert key is not None  # disk caches (and those keep_on_disk accepts) have a key
    checksums = {str(r): pixel_checksum(cache.pixels(r)) for r in cache.resolutions}
    atomic_write_text(manifest_path(folder, key["rank"], key["world_size"]),
                      json.dumps({"key": key, "n": cache.n, "sha256": checksums}, indent=2, sort_keys=True) + "\n")


def start_cache(mode: str, *, capacity: int, resolutions: Iterable[int], channels: int,
                folder: str | os.PathLike[str] | None = None,
                key: dict[str, Any] | None = None) -> tuple[PixelCache | None, PixelWriter | None]:
    """Begin the pixel cache of a pass: ``(cache, None)`` to reuse, ``(None, writer)`` to fill, or ``(None, None)``.

    Parameters
    ----------
    mode : {'auto', 'memory', 'disk', 'none'}
        See the module docstring.
    capacity : int
        This process's share of the items (the most images the pass can yield).
    resolutions : sequence of int
    channels : int
    folder : path or None
        Run folder; without it ``'disk'`` is refused and ``'auto'`` means ``'memory'``.
    key : dict or None
        :func:`cache_key` (needed with a folder).

    Returns
    -------
    cache : PixelCache or None
        A complete disk cache of matching key (nothing to decode).
    writer : PixelWriter or None
        The writer the decoding pass fills (``writer.finish()`` gives the cache).
    """
    check_choice(mode, "cache", CACHE_MODES)
    if mode == "none":
        return None, None
    if folder is not None:
        # (ignore below) a key comes with a folder (documented)
        reused = open_disk_cache(folder, key, resolutions)  # type: ignore[arg-type]
        if reused is not None:
            return reused, None
    if folder is None:
        if mode == "disk":
            raise ValueError("cache='disk' needs a run folder (the trainer's out=)")
        mode = "memory"
    mode = resolve_mode(mode, cache_bytes(capacity, resolutions, channels))
    if mode == "disk":
        # (ignore below) 'disk' has a folder (checked above), and a key comes with it (documented)
        remove_disk_cache(folder, key["rank"], key["world_size"])  # type: ignore[arg-type, index]
    return None, PixelWriter(mode, capacity, resolutions, channels, folder=folder, key=key)


def keep_on_disk(cache: PixelCache, folder: str | os.PathLike[str]) -> list[Path]:
    """Write a memory cache into ``folder`` as a complete disk cache (files first, manifest last); return its paths.

    The trainer calls this when a run is interrupted (Ctrl-C), so that ``--resume`` reads the pixels instead of
    decoding again. Each file is written atomically (:func:`convexgan._files.atomic_write`).
    """
    key = cache.key
    if key is None:
        raise ValueError("keep_on_disk needs a cache with a key (the trainer's caches have one)")
    rank, size = key["rank"], key["world_size"]
    remove_disk_cache(folder, rank, size)
    paths = []
    for r in cache.resolutions:
        pixels = np.ascontiguousarray(cache.pixels(r))
        paths.append(atomic_write(pixels_path(folder, rank, size, r), _writer(pixels)))
    _write_manifest(folder, cache)
    return paths + [manifest_path(folder, rank, size)]


def remove_disk_cache(folder: str | os.PathLike[str], rank: int, world_size: int) -> None:
    """Delete process ``rank``'s disk cache (manifest first, so that a half-removed cache is never complete).

    A folder under the manifest's name is not the cache's to delete: ``ValueError`` naming it.
    """
    folder = Path(folder)
    manifest = manifest_path(folder, rank, world_size)
    if manifest.is_dir() and not manifest.is_symlink():
        raise ValueError(f"the pixel cache's manifest {manifest} is a folder; remove or rename it (the cache is "
                         f"rebuilt), or train with --cache memory")
    manifest.unlink(missing_ok=True)
    for file in folder.glob(f"pixels_rank{rank}of{world_size}_*.u8"):
        file.unlink()


def _writer(pixels: NDArray[np.uint8]) -> Callable[[IO[bytes]], object]:
    """A function writing the bytes of the C-contiguous ``pixels`` to a binary file."""
    def write(fh: IO[bytes]) -> object:
        return fh.write(memoryview(pixels))  # type: ignore[arg-type]  # a buffer in numpy's stubs from 3.12 only
    return write

