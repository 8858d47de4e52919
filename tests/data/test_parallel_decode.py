"""Parallel decoding gives the arrays of one thread bit for bit; JPEG draft decoding is off unless asked for."""

import io
import tarfile
import warnings

import numpy as np
import pytest
from PIL import Image

from convexgan.data import open_images, toy_images
from convexgan.data.frames import RESAMPLING, frame_to_resolutions
from convexgan.exceptions import SquashedFramesWarning


def jpeg_bytes(image, quality=90):
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def write_tar(path, blobs):
    with tarfile.open(path, "w") as tar:
        for name, blob in blobs:
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return path


@pytest.fixture(scope="module")
def jpeg_tar(tmp_path_factory):
    """37 JPEGs 40 x 40 in a tar archive, the 12th member unreadable."""
    images = toy_images(37, 40, components=20, seed=11)
    blobs = [(f"img/{i:03d}.jpg", jpeg_bytes(im)) for i, im in enumerate(images)]
    blobs[11] = ("img/011.jpg", b"not a jpeg")
    return write_tar(tmp_path_factory.mktemp("jpegs") / "images.tar", blobs)


def read_all(source, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        chunks = list(source.iter_chunks([4, 8, 16], 5, **kwargs))
    return {r: np.concatenate([c[r] for c in chunks]) for r in (4, 8, 16)}, source.skipped


@pytest.mark.parametrize("workers", [2, 3, 8])
def test_workers_give_the_arrays_of_one_thread_bit_for_bit(jpeg_tar, workers):
    with open_images(jpeg_tar) as source:
        one, skipped_one = read_all(source, workers=1)
        many, skipped_many = read_all(source, workers=workers)
        raw, _ = read_all(source, workers=workers, dtype=np.uint8)
        share, _ = read_all(source, workers=workers, dtype=np.uint8, rank=1, world_size=3)
    assert skipped_one == skipped_many == 1
    for r in (4, 8, 16):
        assert one[r].shape == (36, r, r, 3)
        np.testing.assert_array_equal(many[r], one[r])
        np.testing.assert_array_equal(raw[r].astype(np.float32) / np.float32(255), one[r])
    items = [i for i in range(37) if i != 11]
    np.testing.assert_array_equal(share[8], raw[8][[items.index(i) for i in range(1, 37, 3) if i != 11]])


def test_workers_must_be_a_positive_integer(jpeg_tar):
    with open_images(jpeg_tar) as source, pytest.raises(ValueError, match="workers"):
        next(source.iter_chunks([4], workers=0))


def test_draft_is_off_by_default_and_changes_pixels_only_when_asked(tmp_path):
    images = toy_images(6, 64, components=30, seed=5)
    archive = write_tar(tmp_path / "big.tar", [(f"{i}.jpg", jpeg_bytes(im)) for i, im in enumerate(images)])
    full = [Image.open(io.BytesIO(jpeg_bytes(im))).convert("RGB") for im in images]
    expected = np.stack([frame_to_resolutions(im, [4, 8], base=16)[8] for im in full])
    with open_images(archive) as source:
        default = np.concatenate([c[8] for c in source.iter_chunks([4, 8], base=16, dtype=np.uint8)])
        drafted = np.concatenate([c[8] for c in source.iter_chunks([4, 8], base=16, dtype=np.uint8, draft=True)])
        unchanged = np.concatenate([c[8] for c in source.iter_chunks([4, 8], base=40, dtype=np.uint8, draft=True)])
    np.testing.assert_array_equal(default, expected)
    # Draft mode: libjpeg decodes at 1/4 scale (64 -> 16 >= base 16), then the same resizes.
    small = []
    for im in images:
        picture = Image.open(io.BytesIO(jpeg_bytes(im)))
        picture.draft("RGB", (16, 16))
        assert picture.size == (16, 16)
        small.append(frame_to_resolutions(picture.convert("RGB"), [4, 8], base=16)[8])
    np.testing.assert_array_equal(drafted, np.stack(small))
    assert np.abs(drafted.astype(int) - expected).max() > 0
    # A base above half the frame (40 > 64 / 2) leaves nothing to draft: the pixels of the full decode.
    np.testing.assert_array_equal(unchanged, np.stack([frame_to_resolutions(im, [4, 8], base=40)[8] for im in full]))
    assert RESAMPLING == Image.BICUBIC


def test_squashed_frames_are_counted_in_item_order_whatever_the_workers(tmp_path):
    images = toy_images(12, 24, seed=4)
    blobs = [(f"{i:02d}.jpg", jpeg_bytes(im if i % 4 else im[:, :16])) for i, im in enumerate(images)]
    archive = write_tar(tmp_path / "mixed.tar", blobs)
    messages = []
    for workers in (1, 3):
        with open_images(archive) as source, pytest.warns(SquashedFramesWarning) as caught:
            list(source.iter_chunks([4], 2, workers=workers))
        assert source.squashed == 3
        messages.append(str(caught[0].message))
    assert messages[0] == messages[1] and "00.jpg" in messages[0]
