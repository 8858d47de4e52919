"""Transparent images (RGBA, LA, P with transparency; 68 x 56 sprites) composited onto a background exactly."""

import io

import numpy as np
import pytest
from PIL import Image

from convexgan.data.alpha import parse_background
from convexgan.data.decode import decode_image

HEIGHT, WIDTH = 56, 68
ALPHAS = np.tile(np.array([0, 64, 128, 200, 255], dtype=np.uint8).repeat(14)[:WIDTH], (HEIGHT, 1))


def png(image, **save):
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **save)
    buffer.seek(0)
    return buffer


def blended(colour, alpha, background):
    """Rounded float blend, computed independently of the uint8 arithmetic (no ties: 255 is odd)."""
    a = alpha.astype(np.float64)[..., None] / 255.0
    return np.rint(colour.astype(np.float64) * a + np.asarray(background, dtype=np.float64) * (1 - a)).astype(np.uint8)


@pytest.mark.parametrize("background", [(255, 255, 255), (0, 0, 0), (10, 200, 30)])
def test_rgba_blend_exact(background):
    colour = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
    colour[...] = (255, 0, 255)  # magenta hidden under the transparent pixels
    colour[:, 40:] = (30, 90, 150)
    image = Image.fromarray(np.dstack([colour, ALPHAS]), "RGBA")
    got = decode_image(png(image), "sprite.png", background=background)
    assert got.shape == (HEIGHT, WIDTH, 3)
    np.testing.assert_array_equal(got, blended(colour, ALPHAS, background))
    np.testing.assert_array_equal(got[:, 0], np.tile(background, (HEIGHT, 1)))


def test_rgba_none_keeps_dropping_alpha():
    colour = np.full((HEIGHT, WIDTH, 3), (255, 0, 255), dtype=np.uint8)
    image = Image.fromarray(np.dstack([colour, ALPHAS]), "RGBA")
    np.testing.assert_array_equal(decode_image(png(image), "sprite.png"), colour)


def test_la_blend_exact_on_grey():
    grey = np.full((HEIGHT, WIDTH), 17, dtype=np.uint8)
    image = Image.fromarray(np.dstack([grey, ALPHAS]), "LA")
    got = decode_image(png(image), "sprite.png", background=(128, 128, 128))
    assert got.shape == (HEIGHT, WIDTH)
    np.testing.assert_array_equal(got, blended(grey[..., None], ALPHAS, (128,))[..., 0])


@pytest.mark.parametrize("as_bytes", [False, True])
def test_palette_transparency_index_and_bytes(as_bytes, recwarn):
    index = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
    index[:, 34:] = 1
    image = Image.fromarray(index, "P")
    image.putpalette([0, 0, 255, 200, 40, 10] + [0] * 762)  # blue hidden under transparent index 0
    transparency = bytes([0, 255]) if as_bytes else 0
    got = decode_image(png(image, transparency=transparency), "sprite.png", background=(255, 255, 255))
    expected = np.empty((HEIGHT, WIDTH, 3), dtype=np.uint8)
    expected[:, :34] = 255
    expected[:, 34:] = (200, 40, 10)
    np.testing.assert_array_equal(got, expected)
    assert not [w for w in recwarn if "Transparency" in str(w.message)]


def test_parse_background_refuses_by_name():
    assert parse_background("Black") == (0, 0, 0)
    assert parse_background(" 0, 128 ,255") == (0, 128, 255)
    for bad in ("#12345g", "256,0,0", "purple", "1,2"):
        with pytest.raises(ValueError, match=r"background=.*expected none"):
            parse_background(bad)


def test_folder_and_tar_sources_composite(tmp_path):
    import tarfile

    from convexgan.data import open_images

    colour = np.full((HEIGHT, WIDTH, 3), (0, 0, 255), dtype=np.uint8)
    rgba = np.dstack([colour, ALPHAS])
    folder = tmp_path / "sprites"
    folder.mkdir()
    Image.fromarray(rgba, "RGBA").save(folder / "a.png")
    with tarfile.open(tmp_path / "sprites.tar", "w") as tar:
        tar.add(folder / "a.png", "a.png")
    expected = blended(colour, ALPHAS, (255, 255, 255))
    for data in (folder, tmp_path / "sprites.tar"):
        with open_images(data, background="white") as source:
            np.testing.assert_array_equal(source._decode(source.items[0]), expected)
        with open_images(data) as source:
            np.testing.assert_array_equal(source._decode(source.items[0]), colour)
    with pytest.raises(ValueError, match="background='pink'"):
        open_images(folder, background="pink")
