"""Small generated image sets shared by the progressive tests."""

import numpy as np
import pytest

for _module in ("torch", "PIL"):
    pytest.importorskip(_module, reason=f"{_module} is not installed; the trainer tests need pip install 'convexgan[train]'")

from PIL import Image  # noqa: E402

from convexgan.data import toy_images  # noqa: E402


@pytest.fixture(scope="session")
def toy():
    """160 generated colour images 16 x 16 (uint8) with a rich spectrum."""
    return toy_images(160, 16, components=40, seed=7)


@pytest.fixture(scope="session")
def toy_folder(tmp_path_factory, toy):
    """The same images as PNG files in a folder."""
    folder = tmp_path_factory.mktemp("toy") / "images"
    folder.mkdir()
    for i, image in enumerate(toy):
        Image.fromarray(image).save(folder / f"{i:06d}.png")
    return folder


def centred_second_moment(images, resolution, base):
    """Independent float64 S_X and mean (numpy) of the images resized to ``base``, then to ``resolution``."""
    X = np.stack([np.asarray(Image.fromarray(im).resize((base, base), Image.BICUBIC).resize(
        (resolution, resolution), Image.BICUBIC), np.float64) / 255 for im in images]).reshape(len(images), -1)
    mean = X.mean(0)
    Xc = X - mean
    return Xc.T @ Xc / len(X), mean


def checkpoint_arrays(run):
    """``{file name: {key: array}}`` of every stage checkpoint in the run folder ``run`` (to compare runs exactly)."""
    out = {}
    for path in sorted(run.glob("stage*.npz")):
        with np.load(path, allow_pickle=False) as f:
            out[path.name] = {key: f[key] for key in f.files}
    return out
