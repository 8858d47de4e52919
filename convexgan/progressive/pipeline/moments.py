r"""Streaming first and second moments of images at several resolutions.

For images flattened to rows :math:`x_i \in \mathbb{R}^d` (HWC order) the trainer needs

.. math::  \mu_X = \frac1n \sum_i x_i, \qquad S_X = \frac1n \sum_i (x_i - \mu_X)(x_i - \mu_X)^T

(the second moment of the per-pixel centred data, docs/theory.md section 7). They are accumulated chunk by chunk,
so memory is one chunk plus the ``d x d`` sums. The chunks come from decoding an image source (which may fill
a pixel cache on the way, :mod:`convexgan.progressive.pipeline.pixels`) or from a filled pixel cache: both give the
8-bit pixels :math:`p_i`, turned into :math:`x_i = p_i / 255` by the same float division, so the moments
from a cache equal those of a decoding pass bit for bit (with the same chunk boundaries). To limit
cancellation the sums are taken of
:math:`y_i = x_i - \tfrac12` (pixels in [0, 1]) and :math:`S_X = \frac1n \sum y_i y_i^T - \bar y \bar y^T`.
The mean is the integer sum of the pixels (int64, exact, so independent of the split and of the chunking)
divided by :math:`255 n` in float64: the data's mean to float64 rounding. The chunk products run in the working
dtype; they are added into float64 sums (in float32 mode through a
float32 buffer flushed every ``flush_rows`` rows). Under ``torch.distributed`` the sums are added across
processes; the mean is then bit-identical to one process's, while ``second`` in float32 mode depends on the split
at the float32 rounding level (of order ``eps * raw_scale``). The flush, the centring and the
symmetrisation run in place, block by block, so the peak memory of the pass is the float64 sums plus the
float32 buffer (1.2 GB + 0.6 GB at 64 x 64) and one block of rows.
"""

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from numpy.typing import NDArray

from convexgan.progressive.runtime.distributed import all_reduce_sum, world
from convexgan.progressive.runtime.phases import phase
from convexgan.progressive.pipeline.pixels import PixelCache, PixelWriter

if TYPE_CHECKING:
    from convexgan.data.source import ImageSource

SHIFT = 0.5


@dataclass
class Moments:
    r"""Moments of the images at one resolution.

    Attributes
    ----------
    resolution, channels : int
    n : int
        Number of images.
    mean : torch.Tensor (d,) float64
    second : torch.Tensor (d, d) float64
        :math:`S_X` of the centred images.
    eps : float
        Machine epsilon of the chunk products' dtype (the rounding level of ``second``).
    raw_scale : float
        Largest raw second moment :math:`\max_j \frac1n \sum_i y_{ij}^2` of the shifted pixels; rounding
        noise in ``second`` is of order ``eps * max(raw_scale, lambda_1)``.
    pixels : convexgan.progressive.pipeline.pixels.PixelCache or None
        The pixel cache holding these images (this process's share), when the pass kept one: what an operator
        :math:`v \mapsto X^T (X v) / n` reads instead of ``second``.

    ``second`` is ``None`` for a resolution accumulated without the dense matrix (``dense=`` of
    :func:`accumulate_moments`).
    """

    resolution: int
    channels: int
    n: int
    mean: torch.Tensor
    second: torch.Tensor | None
    eps: float = float(torch.finfo(torch.float64).eps)
    raw_scale: float = 0.0
    pixels: PixelCache | None = None

    @property
    def d(self) -> int:
        """Dimension ``r * r * C``."""
        return self.mean.numel()


class _Sums:
    def __init__(self, d: int, device: torch.device, dtype: torch.dtype, flush_rows: int, dense: bool = True) -> None:
        self.count = 0
        self.pixel_total = torch.zeros(d, dtype=torch.int64, device=device)
        self.outer = torch.zeros(d, d, dtype=torch.float64, device=device) if dense else None
        self.squares = None if dense else torch.zeros(d, dtype=torch.float64, device=device)
        self.buffer: torch.Tensor | None = (
            None if dtype == torch.float64 or not dense else torch.zeros(d, d, dtype=dtype, device=device))
        self.buffered = 0
        self.flush_rows = flush_rows

    def add(self, Y: torch.Tensor, pixels: NDArray[np.uint8]) -> None:
        self.count += Y.shape[0]
        self.pixel_total += torch.from_numpy(pixels.reshape(pixels.shape[0], -1)).to(Y.device).sum(0, dtype=torch.int64)
        if self.outer is None:
            assert self.squares is not None  # allocated exactly when outer is not
            self.squares += Y.square().sum(0, dtype=torch.float64)
            return
        if self.buffer is None:
            self.outer.addmm_(Y.T, Y)
            return
        self.buffer.addmm_(Y.T, Y)
        self.buffered += Y.shape[0]
        if self.buffered >= self.flush_rows:
            self.flush()

    def flush(self, block: int = 1024) -> None:
        """Add the buffer into the float64 sums, ``block`` rows at a time (the promoted copy of a block only)."""
        if self.buffer is not None and self.buffered:
            assert self.outer is not None  # a buffer is only allocated with the dense sums
            for i in range(0, self.buffer.shape[0], block):
                self.outer[i : i + block] += self.buffer[i : i + block]
            self.buffer.zero_()
            self.buffered = 0


def _symmetrize_(S: torch.Tensor, block: int = 1024) -> None:
    """Replace ``S`` by ``(S + S^T) / 2`` in place, block by block (no ``d x d`` temporary)."""
    d = S.shape[0]
    for i in range(0, d, block):
        for j in range(i, d, block):
            upper, lower = S[i : i + block, j : j + block], S[j : j + block, i : i + block]
            mean = (upper + lower.T) / 2
            upper.copy_(mean)
            lower.copy_(mean.T)


def accumulate_moments(source: "ImageSource | PixelCache", resolutions: Sequence[int], *,
                       device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32, chunk_size: int = 256,
                       flush_rows: int = 4096, progress: Any = None, base: int | None = None,
                       workers: int | None = None, draft: bool = False, store: PixelWriter | None = None,
                       dense: Collection[int] | None = None) -> dict[int, Moments]:
    """One pass over images, accumulating :math:`\\mu_X` and :math:`S_X` at every resolution.

    Parameters
    ----------
    source : convexgan.data.ImageSource or convexgan.progressive.pipeline.pixels.PixelCache
        An image source (decoded in this pass; under ``torch.distributed`` this process reads its share), or a
        filled pixel cache (this process's share; nothing is decoded).
    resolutions : sequence of int
    device : torch.device or str
    dtype : torch.float32 or torch.float64
        Dtype of the chunk products (the sums are float64).
    chunk_size : int
        Images per chunk.
    flush_rows : int
        Rows accumulated in the float32 buffer before it is added to the float64 sums.
    progress : tqdm or None
        Advanced by the number of images read by this process.
    base : int or None
        Intermediate size of the resize (see :mod:`convexgan.data.frames`); default the largest resolution.
    workers : int or None
        Decoding threads (see :meth:`convexgan.data.ImageSource.iter_chunks`).
    draft : bool
        JPEG draft decoding (changes the pixels; see :mod:`convexgan.data.source`).
    store : convexgan.progressive.pipeline.pixels.PixelWriter or None
        Also store every decoded chunk into this pixel cache writer (decoding passes only).
    dense : sequence of int or None
        Resolutions whose ``d x d`` second moment is accumulated (default: all); the others get the mean,
        the count and ``raw_scale`` only (``second=None``), at ``O(d)`` memory.

    Returns
    -------
    dict
        ``{r: Moments}``. The seconds spent waiting for pixels (``'decode'`` or ``'cache_read'``), in the sums
        (``'moments'``) and storing the cache (``'cache_write'``) go to the active
        :class:`convexgan.progressive.runtime.phases.Phases`.
    """
    device = torch.device(device)
    chunks: Iterator[dict[int, NDArray[np.uint8]]]
    rank, size = world()
    if isinstance(source, PixelCache):
        if store is not None:
            raise ValueError("store= needs an image source to decode, not a pixel cache")
        chunks, waiting, advance = source.iter_chunks(resolutions, chunk_size), "cache_read", progress
        description = f"the pixel cache ({source.mode})"
    else:
        chunks = source.iter_chunks(resolutions, chunk_size, rank=rank, world_size=size, base=base, dtype=np.uint8,
                                    workers=workers, draft=draft, progress=progress)
        advance = None  # the source advances the bar by the items it reads, readable or not
        waiting, description = "decode", source.description
    dense = set(resolutions if dense is None else dense)
    sums: dict[int, _Sums] = {}
    while True:
        with phase(waiting):
            chunk = next(chunks, None)
        if chunk is None:
            break
        if store is not None:
            with phase("cache_write"):
                store.add(chunk)
        with phase("moments"):
            for r, pixels in chunk.items():
                Y = shifted_images(pixels, device, dtype)
                if r not in sums:
                    sums[r] = _Sums(Y.shape[1], device, dtype, flush_rows, r in dense)
                sums[r].add(Y, pixels)
        if advance is not None:
            advance.update(next(iter(chunk.values())).shape[0])
    with phase("moments"):
        return _finish(sums, resolutions, dense, source.channels, device, dtype, flush_rows, description)


def shifted_images(pixels: NDArray[np.uint8], device: torch.device | str, dtype: torch.dtype) -> torch.Tensor:
    """:math:`y_i = p_i / 255 - 1/2` of a chunk of 8-bit pixels, rows flattened HWC, in ``dtype`` on ``device``.

    The conversion every pass uses (so that an operator pass over the pixel cache sees the rows the moments saw).

    Parameters
    ----------
    pixels : ndarray (b, ...) uint8
        A chunk (``(b, r, r, C)`` or ``(b, d)``), e.g. from :meth:`PixelCache.iter_chunks` or a slice of
        :meth:`PixelCache.pixels`.
    device : torch.device
    dtype : torch.float32 or torch.float64

    Returns
    -------
    torch.Tensor (b, d)
    """
    pixels = pixels.reshape(pixels.shape[0], -1)
    pixels = np.ascontiguousarray(pixels) if pixels.flags.writeable else np.array(pixels)
    P = torch.from_numpy(pixels).to(device)
    return P.to(dtype).div_(255).sub_(SHIFT)


def _finish(sums: dict[int, _Sums], resolutions: Sequence[int], dense: set[int], channels: int, device: torch.device,
            dtype: torch.dtype, flush_rows: int, description: str) -> dict[int, Moments]:
    out: dict[int, Moments] = {}
    for r in sorted(resolutions):
        d = r * r * channels
        part = sums.get(r) or _Sums(d, device, dtype, flush_rows, r in dense)
        part.flush()
        count = all_reduce_sum(torch.tensor([float(part.count)], dtype=torch.float64, device=device))
        n = int(count.item())
        if n == 0:
            raise ValueError(f"no readable image in {description}")
        part.buffer = None
        mean = all_reduce_sum(part.pixel_total).to(torch.float64).div_(255 * n)
        mean_shifted = mean - SHIFT
        if part.outer is None:
            assert part.squares is not None  # allocated exactly when outer is not
            raw_scale = float(all_reduce_sum(part.squares).div_(n).max())
            out[r] = Moments(r, channels, n, mean, None, float(torch.finfo(dtype).eps), raw_scale)
            continue
        second = all_reduce_sum(part.outer).div_(n)
        raw_scale = float(second.diagonal().max())
        second.addr_(mean_shifted, mean_shifted, alpha=-1)
        _symmetrize_(second)
        out[r] = Moments(r, channels, n, mean, second, float(torch.finfo(dtype).eps), raw_scale)
    return out
