r"""The common interface of every image source: a sorted list of items read in chunks.

A source holds no pixels. :meth:`ImageSource.iter_chunks` decodes the items chunk by chunk (the next chunk in
a background thread while the caller works on the current one) and yields, for every requested resolution,
an array of shape ``(b, r, r, C)``, float32 in :math:`[0, 1]`. Nothing of size ``n x d`` is ever held.

Unreadable items are skipped, counted in :attr:`ImageSource.skipped` and reported with a warning at the end of
the pass; with ``strict=True`` the first one raises ``ValueError`` naming it. For data-parallel passes, rank
``q`` of ``world_size`` reads the items ``i`` with ``i % world_size == q``.

Which items a source reads: its sorted list, filtered by ``include`` and ``classes``
(:mod:`convexgan.data.filters`), then ``n_images`` of them, a seeded random subset or the first ones
(:mod:`convexgan.data.subsets`); :attr:`ImageSource.selection` records the choice. Frames that are not square and
are resized without a crop (``crop='none'``) are counted and reported once per pass with a
:class:`convexgan.exceptions.SquashedFramesWarning`.
"""

import tarfile
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image

from convexgan._validation import check_int
from convexgan.data.decode import ImageDecodeError
from convexgan.data.filters import select_items
from convexgan.data.frames import crop_method, frame_to_resolutions, is_squashed
from convexgan.data.subsets import choose_subset, list_sha256
from convexgan.exceptions import SquashedFramesWarning

READ_ERRORS = (OSError, ValueError, EOFError, tarfile.TarError)


class ImageSource:
    """Base class of the image sources (folder, tar archive, arrays).

    Subclasses set ``self.items`` (a sorted list of item handles) and implement ``_name(item)`` and
    ``_decode(item)``, which returns 8-bit pixels ``(H, W)`` (grey) or ``(H, W, 3)`` (colour), for files through
    :func:`convexgan.data.decode.decode_image`, or raises one of ``READ_ERRORS`` when unreadable.

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

    Attributes
    ----------
    selection : dict
        Which candidates are read: ``candidates`` (their number), ``candidates_sha256``
        (:func:`convexgan.data.subsets.list_sha256` of their sorted relative names; for arrays, of the images'
        content), ``subset``, ``seed`` and ``indices`` (the items read, as increasing positions among the
        candidates).
    """

    def __init__(self, description, items, *, n_images=None, subset="random", seed=0, include=None, classes=None,
                 crop="none", strict=False):
        if not items:
            raise ValueError(f"the image source {description} holds no images")
        names = [self._relative(item) for item in items]
        keep = select_items(names, include=include, classes=classes, description=description)
        self.candidates = [items[i] for i in keep]
        chosen = choose_subset(len(self.candidates), n_images, subset=subset, seed=seed)
        self.selection = {"candidates": len(self.candidates),
                          "candidates_sha256": self._list_sha256([names[i] for i in keep]),
                          "subset": subset, "seed": seed, "indices": chosen.tolist()}
        self.description = description
        self.items = [self.candidates[i] for i in chosen]
        self.crop = crop_method(crop)
        self.squashed = 0
        self._squashed = []
        self.strict = bool(strict)
        self.skipped = 0
        self.mode = self._probe_mode()

    def __len__(self):
        return len(self.items)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Release open files (the source cannot be read afterwards)."""

    def restrict(self, indices):
        """Read only the candidates at ``indices`` (positions in the sorted candidate list), in that order."""
        indices = [check_int(int(i), "index", 0, len(self.candidates) - 1) for i in indices]
        self.items = [self.candidates[i] for i in indices]
        self.selection = {**self.selection, "indices": indices}
        return self

    def _relative(self, item):
        """The item's relative name (path in the folder, tar member name), for filters and the list's hash."""
        return self._name(item)

    def _list_sha256(self, names):
        return list_sha256(names)

    @property
    def channels(self):
        """Number of colour channels of the arrays this source yields (1 or 3)."""
        return 1 if self.mode == "L" else 3

    def _probe_mode(self):
        first = None
        for item in self.items[:64]:
            try:
                pixels = self._decode(item)
            except READ_ERRORS as err:
                first = first or f"{self._name(item)}: {_reason(err)}"
                continue
            return "L" if pixels.ndim == 2 else "RGB"
        raise ValueError(
            f"none of the first {min(len(self.items), 64)} images of {self.description} is readable (first: {first})"
        )

    def _read(self, item, resolutions, base):
        try:
            image = Image.fromarray(self._decode(item)).convert(self.mode)
            if is_squashed(*image.size, self.crop):
                self._squashed.append(self._name(item))
            return frame_to_resolutions(image, resolutions, crop=self.crop, base=base)
        except READ_ERRORS as err:
            if self.strict:
                raise ValueError(f"unreadable image {self._name(item)} in {self.description}: {_reason(err)}") from None
            return None

    def _read_chunk(self, items, resolutions, base, dtype):
        frames = [self._read(item, resolutions, base) for item in items]
        good = [f for f in frames if f is not None]
        bad = [self._name(item) for item, f in zip(items, frames) if f is None]
        arrays = {r: np.stack([f[r] for f in good]).astype(dtype) / dtype(255) if good else None for r in resolutions}
        return arrays, bad

    def iter_chunks(self, resolutions, chunk_size=256, *, rank=0, world_size=1, progress=None, base=None,
                    dtype=np.float32):
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
        dtype : numpy float type
            ``np.float32`` (default) or ``np.float64``: the 8-bit pixels divided by 255 in this dtype.

        Yields
        ------
        dict
            ``{r: ndarray (b, r, r, C) in [0, 1]}`` of ``dtype``, with ``b <= chunk_size``.
        """
        resolutions = sorted({check_int(r, "resolution", 1, 8192) for r in resolutions})
        chunk_size = check_int(chunk_size, "chunk_size", 1, 2**31)
        mine = self.items[rank::world_size]
        chunks = [mine[i : i + chunk_size] for i in range(0, len(mine), chunk_size)]
        self.skipped, self._squashed = 0, []
        skipped_names = []
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(self._read_chunk, chunks[0], resolutions, base, dtype) if chunks else None
            for j in range(len(chunks)):
                arrays, bad = pending.result()
                if j + 1 < len(chunks):
                    pending = pool.submit(self._read_chunk, chunks[j + 1], resolutions, base, dtype)
                self.skipped += len(bad)
                skipped_names.extend(bad[: max(0, 5 - len(skipped_names))])
                if progress is not None:
                    progress.update(len(chunks[j]))
                if arrays[resolutions[0]] is not None:
                    yield arrays
        if self.skipped:
            warnings.warn(
                f"skipped {self.skipped} unreadable image(s) of {self.description} "
                f"(first: {', '.join(skipped_names)}); pass strict=True (--strict) to stop instead",
                stacklevel=2,
            )
        self._warn_squashed()

    def _warn_squashed(self):
        """One warning for the pass: how many frames were squashed to a square (``crop='none'``), which first."""
        self.squashed = len(self._squashed)
        if self.squashed:
            warnings.warn(
                f"{self.squashed} of the images of {self.description} are not square (first: {self._squashed[0]}) "
                f"and were squashed to a square by the resize; crop='center' (--crop center) keeps their aspect "
                f"ratio", SquashedFramesWarning, stacklevel=3,
            )


def _reason(err):
    """Why an item is unreadable (a decode error's reason without the file name it repeats)."""
    return err.reason if isinstance(err, ImageDecodeError) else err
