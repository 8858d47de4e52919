r"""The generator as a ``torch.nn.Module``: :math:`x = z F + b + \mu_X`, returned as NCHW images.

The module holds the composed affine map of one stage (see
:meth:`convexgan.progressive.model.generator.ProgressiveGenerator.affine_map`); the columns of ``F`` are pixels in
HWC order (row-major height, width, channel), which ``forward`` reshapes and permutes to NCHW.
"""

import torch


class AffineGeneratorModule(torch.nn.Module):
    r"""Images of full latents: :math:`x = z F + b + \mu_X`, computed in float64, returned as NCHW float32.

    Parameters
    ----------
    F : torch.Tensor (D, d)
        Latent-to-pixel map, columns in HWC order.
    offset : torch.Tensor (d,)
        :math:`b + \mu_X`, the mean of the samples (HWC order).
    resolution, channels : int
        Image side and colour channels (``d = resolution**2 * channels``).

    Attributes
    ----------
    latent_size : int
        ``D``, the columns of the input ``z (n, D)``.
    resolution, channels : int
    pixel_order : str
        ``'NCHW'``, the layout of ``forward``'s output (``F``'s columns are ``'HWC'``).

    Examples
    --------
    >>> F = torch.eye(4, dtype=torch.float64)
    >>> m = AffineGeneratorModule(F, torch.zeros(4, dtype=torch.float64), resolution=2, channels=1)
    >>> m(torch.arange(4.0).reshape(1, 4)).shape
    torch.Size([1, 1, 2, 2])
    """

    F: torch.Tensor
    offset: torch.Tensor
    latent_size: int
    resolution: int
    channels: int
    pixel_order: str

    def __init__(self, F: torch.Tensor, offset: torch.Tensor, resolution: int, channels: int) -> None:
        super().__init__()
        d = resolution * resolution * channels
        if F.ndim != 2 or F.shape[1] != d or offset.shape != (d,):
            raise ValueError(f"F must be (D, {d}) and offset ({d},) for resolution {resolution} and {channels} "
                             f"channels; got {tuple(F.shape)} and {tuple(offset.shape)}")
        self.register_buffer("F", F.detach().to(torch.float64).clone())
        self.register_buffer("offset", offset.detach().to(torch.float64).clone())
        self.latent_size = int(F.shape[0])
        self.resolution = int(resolution)
        self.channels = int(channels)
        self.pixel_order = "NCHW"

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Images ``(n, C, r, r)`` float32 of latents ``z (n, latent_size)``, the mean included, not clipped."""
        x = z.to(torch.float64) @ self.F + self.offset
        x = x.reshape(-1, self.resolution, self.resolution, self.channels).permute(0, 3, 1, 2)
        return x.to(torch.float32)
