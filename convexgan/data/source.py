r"""The common interface of every image source: a sorted list of items read in chunks.

A source holds no pixels. :meth:`ImageSource.iter_chunks` decodes the items chunk by chunk and yields, for
every requested resolution, an array of shape ``(b, r, r, C)``, float32 in :math:`[0, 1]` (or the 8-bit pixels
themselves). Nothing of size ``n x d`` is ever held.

Parallel decoding: ``workers`` threads (default: the cores this process may run on,
``len(os.sched_getaffinity(0))``) decode the items of the next chunks while the caller works on the current
one; ``workers=1`` is one background thread. Threads rather than processes: Pillow releases the GIL while it
decodes and resizes (about two thirds to three quarters of the time per CelebA 89 x 109 frame resized to
4 ... 64; the rest, header parsing and array conversions, holds it, which bounds the speed-up of threads near
3x), and a thread shares the open archive (whose reads are serialised by a lock) without pickling it or the
decoded pixels. Every item is decoded on its own and the chunks are assembled in item order, so the arrays do
not depend on ``workers`` (bit for bit).

JPEG draft mode (``draft=True``, off by default): a JPEG whose frame is at least twice the size the resize
needs is decoded at 1/2, 1/4 or 1/8 scale by libjpeg's DCT scaling (``PIL.Image.draft``), which is several
times faster. The pixels then differ from the full decode followed by the BICUBIC resize of
:mod:`convexgan.data.frames` (a different low-pass filter, and the crop box is rounded on the smaller frame):
on 1,000 UTKFace 200 x 200 faces resized to 16 x 16, by 1.2 of 255 levels on average and 26 at most. Other
formats are unaffected.

Unreadable items are skipped, counted in :attr:`ImageSource.skipped` and reported with a warning at the end of
the pass; with ``strict=True`` the first one raises ``ValueError`` naming it. For data-parallel passes, rank
``q`` of ``world_size`` reads the items ``i`` with ``i % world_size == q``.

Which items a source reads: its sorted list, filtered by ``include`` and ``classes``
(:mod:`convexgan.data.filters`), then ``n_images`` of them, a seeded random subset or the first ones
(:mod:`convexgan.data.subsets`); :attr:`ImageSource.selection` records the choice. Frames that are not square and
are resized without a crop (``crop='none'``) are counted and reported once per pass with a
:class:`convexgan.exceptions.SquashedFramesWarning`. The warnings that decoding issues (Pillow's, such as
"Palette images with Transparency expressed in bytes should be converted to RGBA images") are held in the
decoding threads and reported at the end of the pass as one warning per kind (same category and message) with
the number of images and the first one's name.
"""

from __future__ import annotations

import os
import tarfile
import warnings
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from convexgan._validation import check_int
from convexgan.choices import LEGACY_BACKGROUND
from convexgan.data.alpha import parse_background
from convexgan.data.decode import DecodeLog, ImageDecodeError
from convexgan.data.filters import select_items
from convexgan.data.frames import crop_method, draft_size, frame_to_resolutions, is_squashed
from convexgan.data.subsets import choose_subset, list_sha256
from convexgan.exceptions import SquashedFramesWarning

READ_ERRORS = (OSError, ValueError, EOFError, tarfile.TarError)
PREFETCH_CHUNKS = 2

ItemT = TypeVar("ItemT")
PixelType = type[np.uint8] | type[np.float32] | type[np.float64]
Frames = dict[int, NDArray[np.uint8]]
Read = tuple[Frames, bool, DecodeLog] | None
"""What :meth:`ImageSource._read` returns for one item: its pixels per resolution, whether it was squashed and
what its decoding noticed (transparency, the warnings it held)."""


class Progress(Protocol):
    """A progress bar (such as ``tqdm``): advanced by the number of items read."""

    def update(self, n: int) -> Any:
        """Advance the bar by ``n``."""


def available_cores() -> int:
    """Number of CPU cores this process may run on (``len(os.sched_getaffinity(0))``, else ``os.cpu_count()``)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class ImageSource(Generic[ItemT]):
    """Base class of the image sources (folder, tar archive, arrays).

    Subclasses set ``self.items`` (a sorted list of item handles) and implement ``_name(item)`` and
    ``_decode(item, draft_frame=None)``, which returns 8-bit pixels ``(H, W)`` (grey) or ``(H, W, 3)`` (colour), for
    files through :func:`convexgan.data.decode.decode_image` (``draft_frame``: the smallest frame size a JPEG may be
    decoded at), or raises one of ``READ_ERRORS`` when unreadable. ``_decode`` may run in several threads at
    once.

    Parameters
    ----------
    description : str
        What the source is (for messages).
    n_images : int or None
        Keep ``n_images`` of the candidates (the items passing ``include`` and ``classes``), chosen by
        ``subset``; None keeps them all.
    subset : {'random', 'first'}
        A seeded random subset (default) or the first ``n_images`` in sorted order (see
        :mod:`convexgan.data.subsets`).
    seed : int
        Seed of the random subset.
    include, classes : sequence of str or None
        Path patterns and class folders selecting the candidates (folders and tar archives; see
        :mod:`convexgan.data.filters`).
    crop : {'none', 'center', 'celeba'} or bool
        The crop (see :mod:`convexgan.data.frames`); True means 'celeba', False 'none'.
    strict : bool
        Raise on the first unreadable item instead of skipping it.
    background : str
        Colour that transparent images are composited onto (:func:`convexgan.data.alpha.parse_background`:
        a name, ``#rrggbb`` or ``r,g,b``); ``'none'`` (the default here) drops the alpha channel.

    Attributes
    ----------
    selection : dict
        Which candidates are read: ``candidates`` (their number), ``candidates_sha256``
        (:func:`convexgan.data.subsets.list_sha256` of their sorted relative names; for arrays, of the images'
        content), ``subset``, ``seed`` and ``indices`` (the items read, as increasing positions among the
        candidates).
    alpha : int
        How many images of the last pass (:meth:`iter_chunks`) had transparency, composited or not.
    """

    def __init__(self, description: str, items: Sequence[ItemT], *, n_images: int | None = None,
                 subset: str = "random", seed: int = 0, include: Sequence[str] | None = None,
                 classes: Sequence[str] | None = None, crop: str | bool = "none", strict: bool = False,
                 background: str = LEGACY_BACKGROUND) -> None:
        if not items:
            raise ValueError(f"the image source {description} holds no images")
        names = [self._relative(item) for item in items]
        keep = select_items(names, include=include, classes=classes, description=description)
        self.candidates = [items[i] for i in keep]
        chosen = choose_subset(len(self.candidates), n_images, subset=subset, seed=seed)
        self.selection: dict[str, Any] = {"candidates": len(self.candidates),
                          "candidates_sha256": self._list_sha256([names[i] for i in keep]),
                          "subset": subset, "seed": seed, "indices": chosen.tolist()}
        self.description = description
        self.items = [self.candidates[i] for i in chosen]
        self.crop = crop_method(crop)
        self.squashed = 0
        self._squashed: list[str] = []
        self.strict = bool(strict)
        self.background = parse_background(background)
        self.skipped = 0
        self.alpha = 0
        self._held: dict[tuple[type[Warning], str], list[str]] = {}
        self.frame: tuple[int, int] = (0, 0)
        self.mode = self._probe_mode()

    def __len__(self) -> int:
        return len(self.items)

    def __enter__(self) -> ImageSource[ItemT]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release open files (the source cannot be read afterwards)."""

    def restrict(self, indices: Iterable[int]) -> ImageSource[ItemT]:
        """Read only the candidates at ``indices`` (positions in the sorted candidate list), in that order."""
        positions = [check_int(int(i), "index", 0, len(self.candidates) - 1) for i in indices]
        self.items = [self.candidates[i] for i in positions]
        self.selection = {**self.selection, "indices": positions}
        return self

    def _name(self, item: ItemT) -> str:
        """The item's name in messages (implemented by every subclass)."""
        raise NotImplementedError

    def _decode(self, item: ItemT, draft_frame: tuple[int, int] | None = None,
                log: DecodeLog | None = None) -> NDArray[np.uint8]:
        """The item's 8-bit pixels ``(H, W)`` or ``(H, W, 3)``, ``log`` filled (implemented by every subclass)."""
        raise NotImplementedError

    def _relative(self, item: ItemT) -> str:
        """The item's relative name (path in the folder, tar member name), for filters and the list's hash."""
        return self._name(item)

    def _list_sha256(self, names: list[str]) -> str:
        return list_sha256(names)

    @property
    def channels(self) -> int:
        """Number of colour channels of the arrays this source yields (1 or 3)."""
        return 1 if self.mode == "L" else 3

    def _probe_mode(self) -> str:
        """The mode of the first readable item (``'L'`` or ``'RGB'``); its ``(width, height)`` goes to ``frame``."""
        first: str | None = None
        for item in self.items[:64]:
            try:
                pixels = self._decode(item, log=DecodeLog())  # its warnings are reported by the passes
            except READ_ERRORS as err:
                first = first or f"{self._name(item)}: {_reason(err)}"
                continue
            self.frame = (pixels.shape[1], pixels.shape[0])
            return "L" if pixels.ndim == 2 else "RGB"
        raise ValueError(
            f"none of the first {min(len(self.items), 64)} images of {self.description} is readable (first: {first})"
        )

    def _read(self, item: ItemT, resolutions: list[int], base: int | None, draft_frame: tuple[int, int] | None) -> Read:
        """``(pixels per resolution, whether the frame was squashed)``, or None when the item is unreadable."""
        log = DecodeLog()
        try:
            image = Image.fromarray(self._decode(item, draft_frame, log))
            image = image if image.mode == self.mode else image.convert(self.mode)
            squashed = is_squashed(*image.size, self.crop)
            return frame_to_resolutions(image, resolutions, crop=self.crop, base=base), squashed, log
        except READ_ERRORS as err:
            if self.strict:
                raise ValueError(f"unreadable image {self._name(item)} in {self.description}: {_reason(err)}") from None
            return None

    def _read_items(self, items: list[ItemT], resolutions: list[int], base: int | None,
                    draft_frame: tuple[int, int] | None) -> list[Read]:
        return [self._read(item, resolutions, base, draft_frame) for item in items]

    def _assemble(self, items: list[ItemT], results: list[Read], resolutions: list[int],
                  dtype: PixelType) -> tuple[dict[int, NDArray[Any]] | None, list[str]]:
        """The chunk's arrays (None when no item was readable) and the names of the unreadable items, in order."""
        self._squashed += [self._name(item) for item, got in zip(items, results) if got is not None and got[1]]
        for item, got in zip(items, results):
            if got is not None:
                self.alpha += got[2].alpha
                for kind, message in got[2].warnings:
                    self._held.setdefault((kind, message), []).append(self._name(item))
        good = [got[0] for got in results if got is not None]
        bad = [self._name(item) for item, got in zip(items, results) if got is None]
        if not good:
            return None, bad
        if dtype == np.uint8:
            return {r: np.stack([f[r] for f in good]) for r in resolutions}, bad
        return {r: np.stack([f[r] for f in good]).astype(dtype) / dtype(255) for r in resolutions}, bad

    def iter_chunks(self, resolutions: Iterable[int], chunk_size: int = 256, *, rank: int = 0, world_size: int = 1,
                    progress: Progress | None = None, base: int | None = None, dtype: PixelType = np.float32,
                    workers: int | None = None, draft: bool = False) -> Iterator[dict[int, NDArray[Any]]]:
        """Yield the images chunk by chunk at every resolution.

        Parameters
        ----------
        resolutions : sequence of int
            Square sizes wanted.
        chunk_size : int
            Images per chunk.
        rank, world_size : int
            This process's share of a data-parallel pass: items ``i`` with ``i % world_size == rank``.
        progress : tqdm or None
            A progress bar advanced by the number of items read.
        base : int or None
            Intermediate square size every frame is resized to first (default: the largest resolution; see
            :mod:`convexgan.data.frames`).
        dtype : numpy float type or ``np.uint8``
            ``np.float32`` (default) or ``np.float64``: the 8-bit pixels divided by 255 in this dtype;
            ``np.uint8``: the 8-bit pixels themselves.
        workers : int or None
            Decoding threads (default: :func:`available_cores`); the arrays do not depend on it.
        draft : bool
            Decode JPEGs at reduced size where the frame is at least twice what the resize needs (see the
            module docstring: this changes the pixels).

        Yields
        ------
        dict
            ``{r: ndarray (b, r, r, C)}`` of ``dtype``, with ``b <= chunk_size``.
        """
        wanted = sorted({check_int(r, "resolution", 1, 8192) for r in resolutions})
        chunk_size = check_int(chunk_size, "chunk_size", 1, 2**31)
        workers = available_cores() if workers is None else check_int(workers, "workers", 1, 4096)
        if dtype not in (np.uint8, np.float32, np.float64):
            raise ValueError(f"dtype={dtype!r} must be np.float32, np.float64 or np.uint8")
        smallest = draft_size(base or max(wanted), self.crop) if draft else None
        mine = self.items[rank::world_size]
        chunks = [mine[i : i + chunk_size] for i in range(0, len(mine), chunk_size)]
        self.skipped, self._squashed, self.alpha, self._held = 0, [], 0, {}
        skipped_names: list[str] = []
        pool = ThreadPoolExecutor(max_workers=workers)
        try:
            for chunk, frames in self._decoded_chunks(pool, workers, chunks, wanted, base, smallest):
                arrays, bad = self._assemble(chunk, frames, wanted, dtype)
                self.skipped += len(bad)
                skipped_names.extend(bad[: max(0, 5 - len(skipped_names))])
                if progress is not None:
                    progress.update(len(chunk))
                if arrays is not None:
                    yield arrays
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        self._warn_skipped(skipped_names)
        self._warn_squashed()
        self._warn_held()

    def _decoded_chunks(self, pool: ThreadPoolExecutor, workers: int, chunks: list[list[ItemT]],
                        resolutions: list[int], base: int | None,
                        draft_frame: tuple[int, int] | None) -> Iterator[tuple[list[ItemT], list[Read]]]:
        """Each chunk with what :meth:`_read` returned for its items, in order, while the next chunks decode.

        A chunk is split into about ``2 * workers`` parts submitted to ``pool``; ``PREFETCH_CHUNKS`` chunks (one
        when ``workers`` is 1) are in flight ahead of the one yielded.
        """
        def submit(items: list[ItemT]) -> list[Future[list[Read]]]:
            step = max(1, -(-len(items) // (2 * workers)) if workers > 1 else len(items))
            return [pool.submit(self._read_items, items[i : i + step], resolutions, base, draft_frame)
                    for i in range(0, len(items), step)]

        pending = deque(submit(chunk) for chunk in chunks[:PREFETCH_CHUNKS if workers > 1 else 1])
        for j, chunk in enumerate(chunks):
            frames = [frame for part in pending.popleft() for frame in part.result()]
            ahead = j + len(pending) + 1
            if ahead < len(chunks):
                pending.append(submit(chunks[ahead]))
            yield chunk, frames

    def _warn_skipped(self, first_names: list[str]) -> None:
        """One warning for the pass: how many items were unreadable, naming the first ones."""
        if self.skipped:
            warnings.warn(
                f"skipped {self.skipped} unreadable image(s) of {self.description} "
                f"(first: {', '.join(first_names)}); pass strict=True (--strict) to stop instead",
                stacklevel=3,
            )

    def _warn_squashed(self) -> None:
        """One warning for the pass: how many frames were squashed to a square (``crop='none'``), which first."""
        self.squashed = len(self._squashed)
        if self.squashed:
            warnings.warn(
                f"{self.squashed} of the images of {self.description} are not square (first: {self._squashed[0]}) "
                f"and were squashed to a square by the resize; crop='center' (--crop center) keeps their aspect "
                f"ratio", SquashedFramesWarning, stacklevel=3,
            )


    def _warn_held(self) -> None:
        """One warning per kind (category and message) that decoding issued in the pass, with its count."""
        for (kind, message), names in self._held.items():
            warnings.warn(f"{len(names)} image(s) of {self.description} (first: {names[0]}) while decoding: "
                          f"{message}", kind, stacklevel=3)


def _reason(err: Exception) -> str | Exception:
    """Why an item is unreadable (a decode error's reason without the file name it repeats)."""
    return err.reason if isinstance(err, ImageDecodeError) else err
