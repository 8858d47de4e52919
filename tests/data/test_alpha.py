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


def palette_bytes_sprites(folder, n):
    """``n`` palette sprites whose transparency is given as bytes: Pillow warns when they become RGB."""
    folder.mkdir()
    for i in range(n):
        image = Image.fromarray(np.full((HEIGHT, WIDTH), i % 2, dtype=np.uint8), "P")
        image.putpalette([0, 0, 255, 200, 40, 10] + [0] * 762)
        image.save(folder / f"{i:02d}.png", transparency=bytes([0, 128]))  # partial: kept as bytes
    return folder


def test_pillow_warnings_are_counted_once_per_pass(tmp_path):
    import warnings

    from convexgan.data import open_images

    folder = palette_bytes_sprites(tmp_path / "palette", 7)
    with warnings.catch_warnings(record=True) as caught, open_images(folder, background="none") as source:
        warnings.simplefilter("always")
        chunks = [chunk[8] for chunk in source.iter_chunks([8], 2, workers=3)]
    assert sum(len(c) for c in chunks) == 7
    pillow = [w for w in caught if "Transparency expressed in bytes" in str(w.message)]
    assert len(pillow) == 1 and len(caught) == 2  # and the squashed frames
    assert str(pillow[0].message).startswith(f"7 image(s) of folder {folder} (first: {folder / '00.png'})")
    assert pillow[0].category is UserWarning and pillow[0].filename == __file__
    with warnings.catch_warnings(record=True) as caught:  # outside a pass the warning is Pillow's own, as usual
        warnings.simplefilter("always")
        decode_image(folder / "00.png", "00.png")
    assert [str(w.message)[:30] for w in caught] == ["Palette images with Transparen"]


def test_no_raw_pillow_lines_in_stderr(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    folder = palette_bytes_sprites(tmp_path / "palette", 5)
    script = ("import sys; from convexgan.data import load_images; "
              "load_images(sys.argv[1], 8, background='none', crop='center', chunk_size=2)")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script, str(folder)], capture_output=True, text=True, check=True,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
    lines = done.stderr.splitlines()
    pillow = [line for line in lines if "Transparency expressed in bytes" in line]
    assert len(pillow) == 1 and "UserWarning: 5 image(s) of folder" in pillow[0]
    assert "PIL" not in done.stderr  # no line from Pillow's modules (file, line or source)
