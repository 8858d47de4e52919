r"""The data second moment as an operator: :math:`S_X V` without the ``d x d`` matrix.

For 8-bit images flattened to rows :math:`p_i \in \{0, \dots, 255\}^d` (HWC order) with pixels
:math:`x_i = p_i / 255` (the units of :mod:`convexgan.progressive.pipeline.moments`),

.. math::  \mu_X = \frac1n \sum_i x_i, \qquad
           S_X V = \frac1n \sum_i (x_i - \mu_X)\,\big((x_i - \mu_X)^T V\big) = \frac1n X_c^T (X_c V)

for a block :math:`V \in \mathbb{R}^{d \times q}`. One product is one pass over the pixels, chunk by chunk:
each chunk of ``b`` rows is converted to float64 and centred, :math:`X_c V` (``b x q``) and
:math:`X_c^T (X_c V)` (``d x q``) cost :math:`4 b d q` flops. The centring is done before the products
(no cancellation: the entries of :math:`S_X V` are exact to float64 rounding relative to :math:`\lambda_1`),
and :math:`\mu_X` is computed from exact integer sums. Under ``torch.distributed`` each process holds its
share of the rows and the sums are added across processes (:func:`~convexgan.progressive.runtime.distributed.all_reduce_sum`),
so every process gets the same product, whatever the split.

Memory: the pixels (``n_local * d`` bytes, in memory or a memmap) plus, per product,
``8 * (b * d + b * q + d * q)`` bytes: independent of ``n``.

An exact integer formulation (:math:`P V` with :math:`P` the uint8 rows, then
:math:`X_c V = P V / 255 - \mathbf 1 \mu_X^T V`) needs the same float64 products and loses the centring's
accuracy, so it is not used.
"""

from collections.abc import Iterator

import numpy as np
import torch
from numpy.typing import NDArray

from convexgan._validation import check_int
from convexgan.progressive.runtime.distributed import all_reduce_sum
from convexgan.progressive.pipeline.moments import SHIFT
from convexgan.progressive.runtime.phases import phase

SCALE = 255.0
CHUNK_ELEMENTS = 2**22


class DataOperator:
    r"""The map :math:`V \mapsto S_X V` over this process's 8-bit pixels.

    Parameters
    ----------
    pixels : ndarray or np.memmap (n_local, d) uint8
        Flattened HWC images (this process's share under ``torchrun``).
    resolution, channels : int or None
        Recorded for the stage (``d`` must equal ``resolution**2 * channels`` when both are given).
    device : torch.device or str
        Where the products run.
    chunk_rows : int or None
        Rows per chunk; default :math:`\max(1, 2^{22} / d)` (a 32 MiB float64 chunk).

    Attributes
    ----------
    n : int
        Number of images over all processes.
    d : int
    mean : torch.Tensor (d,) float64
        :math:`\mu_X`.
    eps : float
        float64 machine epsilon (the products' rounding level).
    raw_scale : float
        :math:`\max_j \frac1n \sum_i (x_{ij} - \tfrac12)^2`, as :class:`~convexgan.progressive.pipeline.moments.Moments`.
    trace : float
        :math:`\operatorname{tr} S_X = \sum_j \frac1n \sum_i (x_{ij} - \mu_j)^2` (exact integer sums).
    passes : int
        Passes over the pixels so far (the statistics pass included).
    columns : int
        Columns of :math:`V` multiplied so far (the work is :math:`4 n d` flops per column).
    """

    def __init__(self, pixels: NDArray[np.uint8], *, resolution: int | None = None, channels: int | None = None,
                 device: torch.device | str = "cpu", chunk_rows: int | None = None) -> None:
        if not isinstance(pixels, np.ndarray) or pixels.ndim != 2 or pixels.dtype != np.uint8:
            shape, dtype = getattr(pixels, "shape", None), getattr(pixels, "dtype", None)
            raise ValueError(f"pixels must be a 2-d uint8 array (n, d) of flattened images, got "
                             f"{type(pixels).__name__} {shape} {dtype}")
        self.pixels = pixels
        self.d = int(pixels.shape[1])
        if self.d < 1:
            raise ValueError(f"pixels must have at least one column, got shape {pixels.shape}")
        if resolution is not None and channels is not None and resolution * resolution * channels != self.d:
            raise ValueError(f"pixels have d={self.d} columns, expected resolution**2 * channels = "
                             f"{resolution}**2 * {channels} = {resolution * resolution * channels}")
        self.resolution, self.channels = resolution, channels
        self.device = torch.device(device)
        default_rows = max(1, CHUNK_ELEMENTS // self.d)
        self.chunk_rows = default_rows if chunk_rows is None else check_int(chunk_rows, "chunk_rows", 1, 2**31)
        self.eps = float(torch.finfo(torch.float64).eps)
        self.passes = 0
        self.columns = 0
        self._statistics()

    def _chunks(self) -> Iterator[torch.Tensor]:
        for a in range(0, self.pixels.shape[0], self.chunk_rows):
            yield torch.from_numpy(np.array(self.pixels[a : a + self.chunk_rows])).to(self.device)

    def _statistics(self) -> None:
        r"""One pass: integer sums :math:`\sum p_{ij}` and :math:`\sum (2 p_{ij} - 255)^2` (exact in int64)."""
        total = torch.zeros(self.d, dtype=torch.int64, device=self.device)
        squares = torch.zeros(self.d, dtype=torch.int64, device=self.device)
        for P in self._chunks():
            P = P.to(torch.int64)
            total += P.sum(0)
            squares += (2 * P - 255).square().sum(0)
        self.passes += 1
        count = all_reduce_sum(torch.tensor([float(self.pixels.shape[0])], dtype=torch.float64, device=self.device))
        self.n = int(count.item())
        if self.n == 0:
            raise ValueError("pixels hold no image (n = 0 over all processes)")
        sums = all_reduce_sum(torch.stack([total, squares]).to(torch.float64))
        self.mean = sums[0] / (SCALE * self.n)
        shifted_second = sums[1] / (4 * SCALE**2 * self.n)
        self.raw_scale = float(shifted_second.max())
        shifted_mean = self.mean - SHIFT
        self.trace = float((shifted_second - shifted_mean.square()).sum())

    def matmul(self, V: torch.Tensor) -> torch.Tensor:
        r""":math:`S_X V` for ``V`` of shape ``(d, q)`` (float64, on ``device``); one pass over the pixels.

        Its seconds go to the phase ``'operator_passes'`` (:mod:`convexgan.progressive.runtime.phases`), inside the
        eigen-solve's or the certificate's.
        """
        V = torch.as_tensor(V).to(device=self.device, dtype=torch.float64)
        if V.ndim != 2 or V.shape[0] != self.d:
            raise ValueError(f"V must have shape (d, q) = ({self.d}, q), got {tuple(V.shape)}")
        with phase("operator_passes"):
            out = torch.zeros(self.d, V.shape[1], dtype=torch.float64, device=self.device)
            for P in self._chunks():
                Xc = P.to(torch.float64).div_(SCALE).sub_(self.mean)
                out.addmm_(Xc.T, Xc @ V)
            self.passes += 1
            self.columns += V.shape[1]
            return all_reduce_sum(out).div_(self.n)

    def __matmul__(self, V: torch.Tensor) -> torch.Tensor:
        return self.matmul(V)

    def centred_rows(self) -> Iterator[torch.Tensor]:
        r"""Yield this process's centred rows :math:`X_c` chunk by chunk (float64, ``(b, d)``)."""
        for P in self._chunks():
            yield P.to(torch.float64).div_(SCALE).sub_(self.mean)

    @property
    def shape(self) -> tuple[int, int]:
        """``(d, d)``: the shape of :math:`S_X`."""
        return (self.d, self.d)

    def bytes_per_product(self, q: int) -> int:
        """Working memory of :meth:`matmul` with ``q`` columns: ``8 (b d + b q + 2 d q)`` bytes."""
        b = min(self.chunk_rows, max(1, self.pixels.shape[0]))
        return 8 * (b * self.d + b * q + 2 * self.d * q)
