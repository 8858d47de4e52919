r"""Streaming first and second moments of images at several resolutions.

For images flattened to rows :math:`x_i \in \mathbb{R}^d` (HWC order) the trainer needs

.. math::  \mu_X = \frac1n \sum_i x_i, \qquad S_X = \frac1n \sum_i (x_i - \mu_X)(x_i - \mu_X)^T

(the second moment of the per-pixel centred data, :ref:`theory-progressive`). They are accumulated chunk by chunk,
so memory is one chunk plus the ``d x d`` sums. The chunks come from decoding an image source (which may fill
a pixel cache on the way, :mod:`convexgan.progressive.pipeline.pixels`) or from a filled pixel cache: both give the
8-bit pixels :math:`p_i` (:math:`x_i = p_i / 255`), so the moments from a cache equal those of a decoding pass bit
for bit. The sums are exact (no rounding, hence no cancellation either): with :math:`P` the ``n x d`` matrix of the
integer pixels and :math:`s = P^T 1`, the pass accumulates :math:`s` in int64 and :math:`G = P^T P` in float64,
whose entries are integers below :math:`255^2 n < 2^{53}` (``n < 1.4e11``): every product and every addition is
exact, in any order. Hence :math:`s` and :math:`G` do not depend on the chunking, the order of the images, the
dtype or how ``torch.distributed`` split them (the sums are all-reduced exactly), and

.. math::  \mu_X = \frac{s}{255 n}, \qquad S_X = \frac{n G - s s^T}{255^2 n^2}

are evaluated once in float64. For ``n < 3.7e5`` images :math:`n G`, :math:`s s^T` and :math:`255^2 n^2` are
exact (below :math:`2^{53}`), so every entry of ``second`` is the exact entry of the data's :math:`S_X` up to two
roundings (the subtraction and the division): relative error at most :math:`2u` entrywise, :math:`u = 2^{-53}`,
and the mean is correctly rounded. Above, the products round once more:
:math:`|\Delta (S_X)_{ij}| \le 3u\,(|n G_{ij}| + |s_i s_j|) / (255^2 n^2)`, a few ulps of the raw second moment.
In float32 mode the chunk products run in float32 on blocks of at most 258 rows, which is exact too (integer
partial sums below :math:`2^{24}`); the result is bit for bit the float64 mode's. The float32 block buffer is added
into :math:`G` block by block, so the peak memory of the pass is :math:`G` plus the float32 buffer
(1.2 GB + 0.6 GB at 64 x 64) and one chunk of rows.
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
EPS64 = float(torch.finfo(torch.float64).eps)


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
        The rounding level of ``second``: float64 machine epsilon (``second`` is the exact moment to a few ulps).
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


EXACT_FLOAT32_ROWS = 2**24 // 255**2
"""Rows of 8-bit pixels whose float32 Gram is exact: every partial sum is an integer <= 258 * 255^2 < 2^24."""


def exact_float32_products() -> bool:
    """Whether float32 matrix products round only to float32 (no TF32 or bfloat16 internal precision)."""
    return torch.get_float32_matmul_precision() == "highest" and not torch.backends.cuda.matmul.allow_tf32


class _Sums:
    r"""Exact integer sums of one resolution: :math:`s = \sum_i p_i` (int64) and :math:`G = \sum_i p_i p_i^T`.

    ``G`` is held in float64; its entries are integers below :math:`255^2 n < 2^{53}` (``n < 1.4e11``), so every
    addition is exact and ``G`` does not depend on the chunking, on the order of the rows or on the split. In
    float32 mode the products run in float32 on blocks of at most :data:`EXACT_FLOAT32_ROWS` rows (exact, the
    partial sums being integers below :math:`2^{24}`) and each block is added into ``G``; else (float64, or a
    float32 matmul precision below ``'highest'``) in float64.
    """

    def __init__(self, d: int, device: torch.device, dtype: torch.dtype, dense: bool = True) -> None:
        self.count = 0
        self.pixel_total = torch.zeros(d, dtype=torch.int64, device=device)
        self.outer = torch.zeros(d, d, dtype=torch.float64, device=device) if dense else None
        self.squares = None if dense else torch.zeros(d, dtype=torch.int64, device=device)
        self.buffer: torch.Tensor | None = (
            torch.zeros(d, d, dtype=torch.float32, device=device)
            if dense and dtype == torch.float32 and exact_float32_products() else None)
        self.buffered = 0

    def add(self, pixels: NDArray[np.uint8], device: torch.device) -> None:
        """Add a chunk of 8-bit pixels ``(b, ...)`` (rows flattened HWC)."""
        pixels = pixels.reshape(pixels.shape[0], -1)
        pixels = np.ascontiguousarray(pixels) if pixels.flags.writeable else np.array(pixels)
        P = torch.from_numpy(pixels).to(device)
        self.count += P.shape[0]
        self.pixel_total += P.sum(0, dtype=torch.int64)
        if self.outer is None:
            assert self.squares is not None  # allocated exactly when outer is not
            self.squares += P.to(torch.int64).square().sum(0)
            return
        if self.buffer is None:
            Q = P.to(torch.float64)
            self.outer.addmm_(Q.T, Q)
            return
        for i in range(0, P.shape[0], EXACT_FLOAT32_ROWS):
            block = P[i : i + EXACT_FLOAT32_ROWS]
            if self.buffered + block.shape[0] > EXACT_FLOAT32_ROWS:
                self.flush()
            Q = block.to(torch.float32)
            self.buffer.addmm_(Q.T, Q)
            self.buffered += block.shape[0]

    def flush(self, block: int = 1024) -> None:
        """Add the float32 buffer (exact integers) into ``G``, ``block`` rows at a time (no ``d x d`` float64 copy)."""
        if self.buffer is not None and self.buffered:
            assert self.outer is not None  # a buffer is only allocated with the dense sums
            for i in range(0, self.buffer.shape[0], block):
                self.outer[i : i + block] += self.buffer[i : i + block]
            self.buffer.zero_()
            self.buffered = 0


def accumulate_moments(source: "ImageSource | PixelCache", resolutions: Sequence[int], *,
                       device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32, chunk_size: int = 256,
                       progress: Any = None, base: int | None = None,
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
        Arithmetic of the chunk products of the integer pixels (both exact; float32 is the faster, on blocks of
        258 rows; float64 is used anyway when float32 matrix products are allowed below full precision, TF32).
    chunk_size : int
        Images per chunk.
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
                if r not in sums:
                    sums[r] = _Sums(r * r * source.channels, device, dtype, r in dense)
                sums[r].add(pixels, device)
        if advance is not None:
            advance.update(next(iter(chunk.values())).shape[0])
    with phase("moments"):
        return _finish(sums, resolutions, dense, source.channels, device, dtype, description)


def _finish(sums: dict[int, _Sums], resolutions: Sequence[int], dense: set[int], channels: int, device: torch.device,
            dtype: torch.dtype, description: str) -> dict[int, Moments]:
    out: dict[int, Moments] = {}
    for r in sorted(resolutions):
        d = r * r * channels
        part = sums.get(r) or _Sums(d, device, dtype, r in dense)
        part.flush()
        part.buffer = None
        count = all_reduce_sum(torch.tensor([part.count], dtype=torch.int64, device=device))
        n = int(count.item())
        if n == 0:
            raise ValueError(f"no readable image in {description}")
        total = all_reduce_sum(part.pixel_total)
        mean = total.to(torch.float64).div_(255 * n)
        s = total.to(torch.float64)
        if part.outer is None:
            assert part.squares is not None  # allocated exactly when outer is not
            squares = all_reduce_sum(part.squares).to(torch.float64)
            raw_scale = float(_shifted_raw_second(squares, s, n).max())
            out[r] = Moments(r, channels, n, mean, None, EPS64, raw_scale)
            continue
        second = all_reduce_sum(part.outer)
        raw_scale = float(_shifted_raw_second(second.diagonal(), s, n).max())
        second.mul_(n).addr_(s, s, alpha=-1).div_(255**2 * n * n)
        out[r] = Moments(r, channels, n, mean, second, EPS64, raw_scale)
    return out


def _shifted_raw_second(squares: torch.Tensor, s: torch.Tensor, n: int) -> torch.Tensor:
    r""":math:`\frac1n \sum_i (p_{ij}/255 - \tfrac12)^2` from the integer sums :math:`\sum_i p_{ij}^2` and :math:`s_j`."""
    return squares / (255**2 * n) - s / (255 * n) + SHIFT**2
