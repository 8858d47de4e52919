r"""The progressive affine generator: stage weights, the stage input map, sampling.

Stage ``i`` maps its input :math:`\hat z_i` to centred pixels at resolution :math:`r_i` by

.. math::  g_i = \hat z_i W_i, \qquad W_i = B_i V_i^T, \qquad
           \hat z_i = [\,\mathrm{up}(g_{i-1}),\ c_i z_i,\ 1\,]

where ``up`` is nearest-neighbour upsampling x2 of HWC images, :math:`z_i \sim N(0, I_{f_i})` are the stage's
fresh latent columns (``f_i`` may be 0), :math:`c_i` their scale and the constant column is present only when
``ones`` is set (the official input). ``B_i (p_i x k_i)`` and ``V_i (d_i x k_i)`` are the factors of the
closed form :math:`W_i = Q_k \operatorname{diag}(\sqrt{(\lambda_k - \beta)/s_k^2}) V_k^T`; storing them instead of
``W_i`` keeps a 64 x 64 stage at ``(p + d) k`` numbers. Samples are :math:`g_T + \mu_X` (the pixel mean added
back).

Since every stage is affine, :math:`g_i = z F_i + b_i` with :math:`z = [z_1, \dots, z_i]`; :func:`stage_input_map`
gives the affine map of :math:`\hat z_i`, whose exact second moment :math:`F^T F + b b^T` the trainer uses
instead of pushing noise rows through the stages.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from convexgan._validation import check_int
from convexgan.progressive.runtime.device import resolve_device
from convexgan.progressive.model.module import AffineGeneratorModule
from convexgan.progressive.model.seeds import latent_rows


@dataclass
class StageWeights:
    """One solved stage.

    Attributes
    ----------
    resolution, channels : int
    mean : torch.Tensor (d,) float64
        Pixel mean of the data at this resolution (HWC order).
    B : torch.Tensor (p, k) float64
        Input factor of :math:`W = B V^T`.
    V : torch.Tensor (d, k) float64
        Kept eigenvectors of :math:`S_X`.
    fresh : int
        Fresh latent columns :math:`f_i` entering this stage.
    scale : float
        Their scale :math:`c_i`.
    ones : bool
        Whether the input has a constant column.
    """

    resolution: int
    channels: int
    mean: torch.Tensor
    B: torch.Tensor
    V: torch.Tensor
    fresh: int
    scale: float
    ones: bool

    @property
    def d(self) -> int:
        """Output dimension ``r * r * C``."""
        return self.V.shape[0]

    @property
    def k(self) -> int:
        """Rank of the stage (kept components)."""
        return self.V.shape[1]


def upsample(rows: torch.Tensor, resolution: int, channels: int) -> torch.Tensor:
    """Nearest-neighbour x2 upsampling of flattened HWC images: ``(n, r*r*C) -> (n, 4*r*r*C)``."""
    images = rows.reshape(rows.shape[0], resolution, resolution, channels)
    images = images.repeat_interleave(2, dim=1).repeat_interleave(2, dim=2)
    return images.reshape(rows.shape[0], -1)


def stage_input_map(previous: Sequence[StageWeights], fresh: int, scale: float,
                    ones: bool) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Affine map of a stage's input :math:`\hat z = z F + b` in terms of all latents so far.

    Parameters
    ----------
    previous : list of StageWeights
        The stages before this one.
    fresh, scale, ones
        This stage's input layout (see :class:`StageWeights`).

    Returns
    -------
    F : torch.Tensor (D, p) float64
        ``D`` = total latent columns up to this stage, ``p`` = input width.
    b : torch.Tensor (p,) float64
    """
    F_prev, b_prev = output_map(previous) if previous else (torch.zeros(0, 0, dtype=torch.float64), None)
    blocks_F: list[torch.Tensor] = []
    blocks_b: list[torch.Tensor] = []
    if previous:
        last = previous[-1]
        up_F = upsample(F_prev, last.resolution, last.channels)
        assert b_prev is not None  # output_map's bias whenever there are previous stages
        up_b = upsample(b_prev[None], last.resolution, last.channels)[0]
        blocks_F.append(torch.cat([up_F, torch.zeros(fresh, up_F.shape[1], dtype=torch.float64)]))
        blocks_b.append(up_b)
    D = F_prev.shape[0] + fresh
    if fresh:
        block = torch.zeros(D, fresh, dtype=torch.float64)
        block[D - fresh :] = scale * torch.eye(fresh, dtype=torch.float64)
        blocks_F.append(block)
        blocks_b.append(torch.zeros(fresh, dtype=torch.float64))
    if ones:
        blocks_F.append(torch.zeros(D, 1, dtype=torch.float64))
        blocks_b.append(torch.ones(1, dtype=torch.float64))
    return torch.cat(blocks_F, 1), torch.cat(blocks_b)


def output_map(stages: Sequence[StageWeights]) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Affine map :math:`g = z F + b` of the last stage's centred output in terms of all latents."""
    F, b = stage_input_map(stages[:-1], stages[-1].fresh, stages[-1].scale, stages[-1].ones)
    last = stages[-1]
    return (F @ last.B) @ last.V.T, (b @ last.B) @ last.V.T


class ProgressiveGenerator:
    """A trained progressive generator (see the module docstring for the map).

    Parameters
    ----------
    stages : list of StageWeights
    config : dict or None
        The training configuration (kept for reference).
    """

    def __init__(self, stages: Sequence[StageWeights], config: Mapping[str, Any] | None = None) -> None:
        if not stages:
            raise ValueError("a ProgressiveGenerator needs at least one stage")
        self.stages = list(stages)
        self.config = dict(config or {})

    @property
    def resolutions(self) -> list[int]:
        """Resolutions of the stages, in order."""
        return [s.resolution for s in self.stages]

    @property
    def channels(self) -> int:
        """Colour channels of the samples."""
        return self.stages[0].channels

    @property
    def latent_dims(self) -> list[int]:
        """Fresh latent columns per stage."""
        return [s.fresh for s in self.stages]

    def stage_index(self, stage: int | None) -> int:
        """The index in ``0 .. len(stages) - 1`` of ``stage`` (``None``: the last; negative: from the end)."""
        return self._stage_index(stage)

    def _stage_index(self, stage: int | None) -> int:
        if stage is None:
            return len(self.stages) - 1
        return check_int(stage, "stage", -len(self.stages), len(self.stages) - 1) % len(self.stages)

    def affine_map(self, stage: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        r"""Exact map of stage ``stage``'s samples: :math:`x = z F + b + \mu_X`, ``z ~ N(0, I)``.

        Returns
        -------
        F : torch.Tensor (D, d) float64
        b : torch.Tensor (d,) float64
            ``b + mean`` is the mean of the samples and :math:`F^T F + b b^T` their centred second moment.

        Notes
        -----
        The pixel mean is not included in ``b``: it is ``self.stages[stage].mean``. The ``d`` columns of ``F``,
        ``b`` and the mean are pixels in HWC order (height, width, channel, row-major), the layout of
        :meth:`sample`'s ``(n, r, r, C)`` images.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> import numpy as np, torch
        >>> from convexgan.data import toy_images
        >>> from convexgan.progressive import train
        >>> generator = train(toy_images(60, 8, seed=0), pathlib.Path(tempfile.mkdtemp()) / "run", resolutions=(4, 8),
        ...                   k=(3, 5), progress=False)
        >>> F, b = generator.affine_map()
        >>> z = torch.as_tensor(generator.latents(2, seed=0))
        >>> x = z @ F + b + torch.as_tensor(generator.stages[-1].mean)
        >>> bool(np.allclose(x.numpy().reshape(2, 8, 8, 3), generator.generate(z), atol=1e-5))
        True
        """
        return output_map(self.stages[: self._stage_index(stage) + 1])

    def to_module(self, stage: int | None = None) -> AffineGeneratorModule:
        r"""Stage ``stage`` as a ``torch.nn.Module``: ``forward(z)`` gives :math:`z F + b + \mu_X` as NCHW float32.

        Its images equal :meth:`generate`'s (unclipped, float64 arithmetic) for the same latents, permuted from
        ``(n, r, r, C)`` to ``(n, C, r, r)``; the module scripts with ``torch.jit.script``.
        """
        last = self._stage_index(stage)
        F, b = self.affine_map(last)
        s = self.stages[last]
        return AffineGeneratorModule(F, b + s.mean.to(torch.float64), s.resolution, s.channels)

    def centred(self, latents: Sequence[torch.Tensor], stage: int | None = None, dtype: torch.dtype = torch.float32,
                device: torch.device | str = "cpu") -> torch.Tensor:
        """Push latents through the stages; return the centred outputs ``(n, d)`` of ``stage``.

        Parameters
        ----------
        latents : list of torch.Tensor
            ``latents[i]`` of shape ``(n, fresh_i)`` for every stage up to ``stage``.
        """
        last = self._stage_index(stage)
        g: torch.Tensor | None = None
        for i, s in enumerate(self.stages[: last + 1]):
            parts: list[torch.Tensor] = []
            if g is not None:
                prev = self.stages[i - 1]
                parts.append(upsample(g, prev.resolution, prev.channels))
            n = latents[0].shape[0]
            if s.fresh:
                parts.append(s.scale * latents[i].to(device=device, dtype=dtype))
            if s.ones:
                parts.append(torch.ones(n, 1, dtype=dtype, device=device))
            zhat = torch.cat(parts, 1)
            g = (zhat @ s.B.to(device=device, dtype=dtype)) @ s.V.to(device=device, dtype=dtype).T
        assert g is not None  # a generator has at least one stage
        return g

    def latent_size(self, stage: int | None = None) -> int:
        """Columns ``D`` of the full latent of ``stage``: all stages' fresh columns up to it, concatenated."""
        return sum(s.fresh for s in self.stages[: self._stage_index(stage) + 1])

    def split_latent(self, z: torch.Tensor | ArrayLike, stage: int | None = None) -> list[torch.Tensor]:
        """Split full latents ``z (n, D)`` into the per-stage blocks ``[(n, fresh_0), (n, fresh_1), ...]``.

        The inverse of concatenating the stages' fresh columns, for :meth:`centred`.
        """
        last = self._stage_index(stage)
        z = torch.as_tensor(z)
        D = self.latent_size(last)
        if z.ndim != 2 or z.shape[1] != D:
            raise ValueError(f"z must have shape (n, {D}) (the latent of stage {last}); got {tuple(z.shape)}")
        sizes = [s.fresh for s in self.stages[: last + 1]]
        return list(torch.split(z, sizes, dim=1))

    def latents(self, n: int, seed: int = 0, stage: int | None = None, *, start: int = 0) -> NDArray[np.float64]:
        """Latent rows ``start, ..., start + n - 1`` of ``seed``: ``(n, D)`` float64, standard normal.

        Row ``i`` depends on ``(seed, i)`` only (:func:`convexgan.progressive.model.seeds.latent_rows`); the latent of
        an earlier stage is the first columns of a later stage's.
        """
        return latent_rows(seed, start, check_int(n, "n", 0, 10**9), self.latent_size(stage))

    def generate(self, z: torch.Tensor | ArrayLike, stage: int | None = None, *, clip: bool = False,
                 dtype: torch.dtype = torch.float64, device: torch.device | str = "cpu") -> NDArray[np.float32]:
        r"""Images of full latents ``z (n, D)``: :math:`x = z F + b + \mu_X` (see :meth:`affine_map`).

        Returns
        -------
        ndarray (n, r, r, C) float32
            Pixel units; clipped to [0, 1] when ``clip`` is set.
        """
        last = self._stage_index(stage)
        s = self.stages[last]
        device = resolve_device(device)
        blocks = self.split_latent(z, last)
        x = self.centred(blocks, last, dtype=dtype, device=device) + s.mean.to(device=device, dtype=dtype)
        if clip:
            x = x.clamp(0, 1)
        return x.reshape(-1, s.resolution, s.resolution, s.channels).cpu().numpy().astype(np.float32, copy=False)

    def sample(self, n: int, seed: int = 0, stage: int | None = None, *, clip: bool = False,
               dtype: torch.dtype = torch.float64, device: torch.device | str = "cpu",
               batch_size: int = 1024) -> NDArray[np.float32]:
        """Draw ``n`` fresh images.

        Parameters
        ----------
        n : int
            Number of images.
        seed : int
            Non-negative seed of the latents. Image ``i`` depends on ``(seed, i)`` only (see :meth:`latents`):
            ``sample(16, seed)`` equals ``sample(64, seed)[:16]`` at any ``batch_size``. (Bit for bit in the
            default float64 arithmetic, rounded to float32 at the end: matrix products of different batch sizes
            can differ in the last float64 bit, which changes a float32 result with probability about 1e-8
            per pixel. In float32 arithmetic the images agree to about 1e-7 only.)
        stage : int or None
            Stage index (default: the last); its resolution is ``self.resolutions[stage]``.
        clip : bool
            Clip to [0, 1]. Off by default, so that the samples keep the model's exact moments.
        dtype, device
            Where the sampling runs (float64 by default; float32 is faster on a GPU); ``device`` is ``'cpu'``,
            ``'cuda'``, ``'cuda:N'`` or ``'auto'`` (checked by :func:`convexgan.progressive.runtime.device.resolve_device`).
        batch_size : int
            Images generated at once.

        Returns
        -------
        ndarray (n, r, r, C) float32
            Pixel units (0 black, 1 white), the data mean added back.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from convexgan.data import toy_images
        >>> from convexgan.progressive import train
        >>> generator = train(toy_images(60, 8, seed=0), pathlib.Path(tempfile.mkdtemp()) / "run", resolutions=(4, 8),
        ...                   k=(3, 5), progress=False)
        >>> images = generator.sample(6, seed=0)
        >>> images.shape, images.dtype.name
        ((6, 8, 8, 3), 'float32')
        """
        n = check_int(n, "n", 1, 10**9)
        batch_size = check_int(batch_size, "batch_size", 1, 10**9)
        device = resolve_device(device)
        last = self._stage_index(stage)
        s = self.stages[last]
        out = np.empty((n, s.resolution, s.resolution, s.channels), dtype=np.float32)
        for start in range(0, n, batch_size):
            b = min(batch_size, n - start)
            z = torch.from_numpy(self.latents(b, seed, last, start=start))
            out[start : start + b] = self.generate(z, last, clip=clip, dtype=dtype, device=device)
        return out
