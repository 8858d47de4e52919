"""Feature extractors loaded from a local TorchScript file that the user already has (never downloaded).

The standard FID network is NVIDIA's TorchScript port of the TensorFlow Inception of 2015-12-05
(``inception-2015-12-05.pt``, used by StyleGAN2-ADA, StyleGAN3 and clean-fid). It takes float images in [0, 255]
of any size, resizes them inside to 299x299 (bilinear) and, called with ``return_features=True``, returns the
2048-d pool3 features. :func:`load_inception_2015_12_05` wraps such a file; :func:`load_torchscript_extractor`
wraps any TorchScript feature network with explicit options; :func:`load_extractor` picks the convention from the
module's ``forward`` (used by ``convexgan evaluate --extractor``).

Loading a TorchScript file runs code it contains (``torch.jit.load`` calls its ``__setstate__`` methods, and
every call runs its ``forward``): load only files you trust. The command line asks for ``--trust-extractor``
before it loads one. A module without ``forward``, or whose ``forward`` does not return one tensor with a row
of features per image, is refused with a ``ValueError`` naming the file and what was expected.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from convexgan._extras import require
from convexgan._validation import check_positive

if TYPE_CHECKING:
    import torch
else:
    torch = require("train", "torch", user=__name__)

_NATIVE = "none: images at their own size (a network that resizes inside does so itself)"


class TorchScriptExtractor:
    """A TorchScript module used as a feature extractor on images ``(b, H, W, C)`` in [0, 1].

    Each call converts the batch to a float32 ``(b, C, H, W)`` tensor, optionally quantises it to 256 levels
    (as saving a PNG would), resizes it (bicubic with antialiasing) when ``size`` is given, scales it to
    ``[0, value_range]``, repeats a single channel three times when the module expects RGB, runs the module under
    ``torch.inference_mode`` and returns float64 numpy features ``(b, D)``.

    Attributes
    ----------
    name, resizer, input_dtype : str
        Recorded in every FID/KID result.
    """

    def __init__(
        self,
        module: torch.jit.ScriptModule,
        *,
        name: str,
        size: int | None = None,
        value_range: float = 255.0,
        quantize: bool = True,
        rgb: bool = True,
        call_kwargs: dict[str, Any] | None = None,
        device: str | torch.device = "cpu",
        resizer: str | None = None,
    ) -> None:
        self.module = module
        self.name = name
        self.size = size
        self.value_range = check_positive(value_range, "value_range")
        self.quantize = bool(quantize)
        self.rgb = bool(rgb)
        self.call_kwargs = dict(call_kwargs or {})
        self.device = torch.device(device)
        if resizer is None:
            resizer = _NATIVE if size is None else f"bicubic with antialiasing (torch) to {size}x{size}"
        self.resizer = resizer
        levels = "quantised to 256 levels, " if self.quantize else ""
        self.input_dtype = f"float32 in [0, {self.value_range:g}], {levels}NCHW"

    def __call__(self, images: ArrayLike) -> NDArray[np.float64]:
        x = torch.as_tensor(np.asarray(images), dtype=torch.float32)
        if x.ndim != 4:
            raise ValueError(f"images must be a 4-D array (b, H, W, C); got shape {tuple(x.shape)}")
        x = x.permute(0, 3, 1, 2)
        if self.rgb and x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        if self.quantize:
            x = torch.round(x.clamp(0.0, 1.0) * 255.0) / 255.0
        if self.size is not None:
            x = torch.nn.functional.interpolate(x, size=(self.size, self.size), mode="bicubic", antialias=True)
        with torch.inference_mode():
            out = self.module(x.to(self.device) * self.value_range, **self.call_kwargs)
        if not isinstance(out, torch.Tensor) or out.ndim < 1 or out.shape[0] != x.shape[0]:
            got = f"a tensor of shape {tuple(out.shape)}" if isinstance(out, torch.Tensor) else type(out).__name__
            raise ValueError(
                f"extractor {self.name} returned {got} for a batch of {x.shape[0]} image(s); expected one tensor "
                f"(b, ...) of features, one row per image"
            )
        features: NDArray[np.float64] = out.reshape(out.shape[0], -1).to(torch.float64).cpu().numpy()
        return features


def load_torchscript_extractor(
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    size: int | None = None,
    value_range: float = 255.0,
    quantize: bool = True,
    rgb: bool = True,
    call_kwargs: dict[str, Any] | None = None,
    device: str | torch.device = "cpu",
    resizer: str | None = None,
) -> TorchScriptExtractor:
    """Load a local TorchScript feature network with ``torch.jit.load`` (nothing is downloaded).

    Parameters
    ----------
    path : str or Path
        A TorchScript file (``torch.jit.save``).
    name : str, optional
        Recorded with results; default ``"torchscript:<file name>"``.
    size : int, optional
        Resize to ``size x size`` before the network (default: no resize).
    value_range : float
        The network's input range is ``[0, value_range]``.
    quantize : bool
        Round to 256 levels first, as if the images had been saved as 8-bit files.
    rgb : bool
        Repeat single-channel images three times.
    call_kwargs : dict, optional
        Keyword arguments of every call (e.g. ``{"return_features": True}``).
    device : str or torch.device
    resizer : str, optional
        Description recorded with results (default: derived from ``size``).

    Returns
    -------
    TorchScriptExtractor
    """
    return TorchScriptExtractor(
        _load_module(path, device),
        name=name or f"torchscript:{Path(path).name}",
        size=size,
        value_range=value_range,
        quantize=quantize,
        rgb=rgb,
        call_kwargs=call_kwargs,
        device=device,
        resizer=resizer,
    )


def load_inception_2015_12_05(path: str | os.PathLike[str], *,
                              device: str | torch.device = "cpu") -> TorchScriptExtractor:
    """The standard FID Inception from a local ``inception-2015-12-05.pt`` (NVIDIA's TorchScript port).

    Images are quantised to 256 levels, passed in [0, 255] at their own size, resized inside the network to
    299x299 (bilinear), and the 2048-d pool3 features returned (``return_features=True``), as StyleGAN2-ADA does.

    Parameters
    ----------
    path : str or Path
    device : str or torch.device

    Returns
    -------
    TorchScriptExtractor
    """
    return TorchScriptExtractor(
        _load_module(path, device), name=f"inception-2015-12-05 pool3 ({Path(path).name})", device=device, **_INCEPTION
    )


def load_extractor(path: str | os.PathLike[str], *, device: str | torch.device = "cpu") -> TorchScriptExtractor:
    """Load a local TorchScript feature network, choosing the calling convention from its ``forward``.

    A ``forward`` with a ``return_features`` argument is called as the FID Inception file is (see
    :func:`load_inception_2015_12_05`); any other is called on images in [0, 255] at their own size. The recorded
    name is the file name: nothing here establishes that a file holds the standard FID weights.

    Parameters
    ----------
    path : str or Path
    device : str or torch.device

    Returns
    -------
    TorchScriptExtractor
    """
    module = _load_module(path, device)
    # a TorchScript method carries its schema; torch's stubs type forward as a plain callable
    arguments = [a.name for a in module.forward.schema.arguments]  # type: ignore[attr-defined]
    if "return_features" in arguments:
        return TorchScriptExtractor(
            module, name=f"torchscript:{Path(path).name} (return_features=True)", device=device, **_INCEPTION
        )
    return TorchScriptExtractor(module, name=f"torchscript:{Path(path).name}", device=device)


_INCEPTION: dict[str, Any] = {
    "value_range": 255.0,
    "quantize": True,
    "call_kwargs": {"return_features": True},
    "resizer": "inside the network: bilinear to 299x299 (as StyleGAN2-ADA)",
}


def _load_module(path: str | os.PathLike[str], device: str | torch.device) -> torch.jit.ScriptModule:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"extractor file {str(path)!r} not found; convexgan never downloads weights: pass a TorchScript file "
            f"you already have (e.g. inception-2015-12-05.pt)"
        )
    try:
        with warnings.catch_warnings():
            # The FID networks in circulation are TorchScript files; torch 2.13 deprecates the format, not the load.
            warnings.filterwarnings("ignore", message=r"`torch\.jit\.load` is deprecated", category=DeprecationWarning)
            module = torch.jit.load(str(path), map_location=device)
    except (RuntimeError, ValueError, torch.jit.Error) as err:
        reason = (str(err).strip().splitlines() or [type(err).__name__])[-1]
        raise ValueError(f"extractor file {str(path)!r} is not a loadable TorchScript module ({reason})") from None
    if not hasattr(module, "forward"):
        raise ValueError(
            f"extractor file {str(path)!r} holds a TorchScript module without a forward method; expected a feature "
            f"network called on images (b, C, H, W)"
        )
    return module.eval()
