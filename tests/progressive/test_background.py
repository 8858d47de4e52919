"""Transparent sprites (RGBA, LA, P with transparency; 68 x 56) trained with a background: recorded, refused on
a resume with another one, part of the pixel cache's key, counted in the data pass and used by every reader."""

import json

import numpy as np
import pytest
from PIL import Image

from convexgan.choices import DEFAULT_BACKGROUND, LEGACY_BACKGROUND
from convexgan.cli import main
from convexgan.progressive import TrainConfig, load_generator, train
from convexgan.progressive.pipeline.pixels import cache_key

HEIGHT, WIDTH = 56, 68
N_SPRITES = 24
HIDDEN = {"RGBA": (255, 0, 255), "LA": 0, "P": (0, 0, 255)}  # colours under the transparent pixels
pytestmark = pytest.mark.filterwarnings("ignore::convexgan.exceptions.SquashedFramesWarning")
TINY = {"resolutions": (4, 8, 16), "k": (2, 3, 4), "cache": "memory", "progress": False}


def sprite(kind, rng):
    """A 68 x 56 sprite: an opaque block of random colours at the centre, transparent elsewhere."""
    block = (slice(22, 34), slice(28, 40))
    if kind == "RGBA":
        pixels = np.zeros((HEIGHT, WIDTH, 4), dtype=np.uint8)
        pixels[..., :3] = HIDDEN["RGBA"]
        pixels[block] = np.concatenate([rng.integers(0, 256, (12, 12, 3)), np.full((12, 12, 1), 255)], axis=2)
        return Image.fromarray(pixels, "RGBA"), {}
    if kind == "LA":
        pixels = np.zeros((HEIGHT, WIDTH, 2), dtype=np.uint8)
        pixels[block] = np.stack([rng.integers(0, 256, (12, 12)), np.full((12, 12), 255)], axis=2)
        return Image.fromarray(pixels, "LA"), {}
    index = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
    index[block] = rng.integers(1, 8, (12, 12))
    image = Image.fromarray(index, "P")
    palette = [*HIDDEN["P"], *rng.integers(0, 256, 21).tolist()]
    image.putpalette(palette + [0] * (768 - len(palette)))
    return image, {"transparency": 0}


@pytest.fixture(scope="module")
def sprites(tmp_path_factory):
    """24 sprites, a third each RGBA, LA and P with a transparent palette index (seeded)."""
    rng = np.random.default_rng(22)
    folder = tmp_path_factory.mktemp("sprites") / "images"
    folder.mkdir()
    for i in range(N_SPRITES):
        image, options = sprite(("RGBA", "LA", "P")[i % 3], rng)
        image.save(folder / f"{i:03d}.png", **options)
    return folder


def corners(images):
    """The 2 x 2 pixels at each corner of ``(n, r, r, C)`` images: far from the opaque block at 16 x 16 (the
    bicubic resize reaches 2 source pixels of 4.25 x 3.5 around each), so transparent in every sprite."""
    return np.concatenate([images[:, :2, :2], images[:, :2, -2:], images[:, -2:, :2], images[:, -2:, -2:]], axis=1)


def test_samples_have_white_backgrounds_and_the_pass_counts_alpha(tmp_path, sprites):
    # At the corners every training image is exactly 1.0 (255 / 255): the mean is 1 and the moment's rows and
    # columns there are zero, so every sample equals 1 up to the eigen-solver's rounding (~1e-12). 1e-3 is a
    # quarter of one 8-bit level and far from the hidden colours (magenta, black, blue: some channel 0).
    run = tmp_path / "run"
    generator = train(sprites, run, **TINY)
    samples = generator.sample(64, seed=3)
    assert samples.shape == (64, 16, 16, 3)
    np.testing.assert_allclose(corners(samples), 1.0, atol=1e-3)
    assert np.ptp(samples[:, 6:10, 6:10]) > 0.2  # the block itself varies: the test looks at a real model
    report = json.loads((run / "report.json").read_text())
    assert report["data_passes"][-1]["alpha_images"] == N_SPRITES
    assert report["data_passes"][-1]["background"] == DEFAULT_BACKGROUND
    assert json.loads((run / "config.json").read_text())["background"] == DEFAULT_BACKGROUND

    legacy = train(sprites, tmp_path / "legacy", background="none", **TINY).sample(64, seed=3)
    assert np.abs(corners(legacy) - 1.0).max() > 0.5  # the hidden colours show through without a background


def test_cli_background_summary_and_refused_resume(tmp_path, sprites, capsys):
    run = tmp_path / "run"
    argv = ["train", str(sprites), "--out", str(run), "--k", "2", "--cache", "memory",
            "--base-resolution", "8"]
    assert main(argv + ["--resolutions", "4", "--background", "#000000"]) == 0
    assert f"{N_SPRITES} with transparency, background #000000" in capsys.readouterr().out
    with pytest.raises(ValueError, match=r'differs in background \(background: "#000000" -> "white"\)'):
        train(sprites, run, resume=True, background="white", resolutions=(4, 8), k=(2, 3), base_resolution=8,
              progress=False)
    # Without --background a resume keeps the run's own background.
    assert main(argv + ["--resolutions", "4", "8", "--k", "2", "3", "--resume"]) == 0
    assert load_generator(run).config["background"] == "#000000"
    assert main(argv + ["--resolutions", "4", "--background", "pink"]) == 1
    assert "background='pink'" in capsys.readouterr().err


def test_old_run_folders_load_and_resume_as_none(tmp_path, sprites):
    run = tmp_path / "old"
    train(sprites, run, background="none", resolutions=(4,), k=(2,), base_resolution=8, progress=False,
          cache="none")
    config = json.loads((run / "config.json").read_text())
    del config["background"]  # as written before the option existed
    (run / "config.json").write_text(json.dumps(config))
    assert load_generator(run).config["background"] == LEGACY_BACKGROUND
    grown = train(sprites, run, resume=True, resolutions=(4, 8), k=(2, 3), base_resolution=8, progress=False,
                  cache="none")
    assert grown.config["background"] == LEGACY_BACKGROUND
    with pytest.raises(ValueError, match=r'differs in background \(background: "none" -> "white"\)'):
        train(sprites, run, resume=True, background="white", resolutions=(4, 8), k=(2, 3), base_resolution=8,
              progress=False)


def test_cache_key_has_the_background():
    common = {"fingerprint": {"method": "folder"}, "crop": "none", "base": 16, "resolutions": [4], "channels": 3,
              "draft": False, "rank": 0, "world_size": 1}
    white, black = cache_key(**common, background="white"), cache_key(**common, background="black")
    assert white != black != cache_key(**common, background="none")
    assert cache_key(**common, background="none") == cache_key(**common)  # earlier versions' caches still match


def test_readers_take_the_runs_background(sprites):
    from convexgan.data.histograms import histogram_reference
    from convexgan.progressive.evaluation import real_halves

    config = {"crop": "none", "resolutions": [16], "base_resolution": 16}
    white = histogram_reference(sprites, 16, {**config, "background": "white"}, n=6)
    np.testing.assert_array_equal(corners(white), 1.0)
    hidden = histogram_reference(sprites, 16, config, n=6)  # no background recorded: alpha dropped
    assert corners(hidden).min() == 0.0
    half_a, half_b, _ = real_halves(sprites, [16], 4, subset="first", background="white")
    np.testing.assert_array_equal(corners(np.concatenate([half_a[16], half_b[16]])), 1.0)
    with pytest.raises(ValueError, match="background='pink'"):
        TrainConfig(background="pink")
