r"""Low-resolution image arrays for the baselines: read MNIST-style ``.npz`` files or a CelebA tar, and
downsample by area averaging.

Images are returned as float arrays ``(N, r, r, C)`` in [0, 1]; :func:`flatten_centred` turns them into rows
(HWC order) centred per pixel, the convention of the progressive stages (THEORY section 7).
"""

import io
import tarfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from convexgan._validation import check_int


def load_images(path, limit=10000):
    """Read up to ``limit`` images from an ``.npz`` (key ``x_train`` or ``x``) or a tar of JPEG/PNG files.

    Parameters
    ----------
    path : str or Path
    limit : int >= 1

    Returns
    -------
    images : ndarray (N, H, W, C), float64 in [0, 1]
    """
    path = Path(path)
    limit = check_int(limit, "limit", 1, 10**8)
    if not path.exists():
        raise FileNotFoundError(f"image data {str(path)!r} does not exist")
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as archive:
            key = next((k for k in ("x_train", "x") if k in archive.files), None)
            if key is None:
                raise ValueError(f"{str(path)!r} must hold an array 'x_train' or 'x'; it holds {archive.files}")
            images = archive[key][:limit]
    elif tarfile.is_tarfile(path):
        images = _read_tar(path, limit)
    else:
        raise ValueError(f"data={str(path)!r} must be an .npz file or a tar of images")
    images = np.asarray(images, dtype=np.float64) / 255.0
    return images[..., None] if images.ndim == 3 else images


def _read_tar(path, limit):
    with tarfile.open(path) as archive:
        members = sorted((m for m in archive.getmembers() if m.isfile() and m.name.lower().endswith((".jpg", ".png"))),
                         key=lambda m: m.name)[:limit]
        if not members:
            raise ValueError(f"{str(path)!r} holds no .jpg or .png images")
        return np.stack([np.asarray(Image.open(io.BytesIO(archive.extractfile(m).read())).convert("RGB"))
                         for m in members])


def downsample(images, resolution):
    """Area-average ``images (N, H, W, C)`` to ``(N, resolution, resolution, C)``."""
    resolution = check_int(resolution, "resolution", 1, 10**5)
    tensor = torch.as_tensor(np.asarray(images, dtype=np.float64)).permute(0, 3, 1, 2)
    pooled = torch.nn.functional.adaptive_avg_pool2d(tensor, resolution)
    return pooled.permute(0, 2, 3, 1).numpy()


def flatten_centred(images):
    """Rows ``(N, r * r * C)`` in HWC order, centred per pixel; also returns the mean row."""
    rows = np.asarray(images, dtype=np.float64).reshape(images.shape[0], -1)
    mean = rows.mean(axis=0)
    return rows - mean, mean
