"""`convexgan sample --png-dir`, `convexgan interpolate`, `convexgan project` on a small trained run."""

import re

import numpy as np
import pytest
from PIL import Image

from convexgan.cli import main
from convexgan.data import load_images
from convexgan.progressive import load_generator, project


@pytest.fixture(scope="module")
def run(tmp_path_factory, toy_folder):
    folder = tmp_path_factory.mktemp("use") / "run"
    assert main(["train", str(toy_folder), "--out", str(folder), "--resolutions", "4", "8", "--k", "5", "9",
                 "--latent", "8", "--quiet"]) == 0
    return folder


def test_png_dir_holds_one_file_per_sample_equal_to_sample(run, tmp_path, capsys):
    folder = tmp_path / "pngs"
    assert main(["sample", str(run), "--n", "12", "--seed", "3", "--png-dir", str(folder)]) == 0
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"{i:06d}.png" for i in range(12)]
    expected = np.rint(np.clip(load_generator(run).sample(12, seed=3), 0, 1) * 255).astype(np.uint8)
    for i, name in enumerate(names):
        np.testing.assert_array_equal(np.asarray(Image.open(folder / name)), expected[i])
    assert "000000.png ... 000011.png" in capsys.readouterr().out


def test_png_dir_refuses_a_non_empty_folder_unless_forced(run, tmp_path, capsys):
    folder = tmp_path / "pngs"
    folder.mkdir()
    (folder / "keep.txt").write_text("x")
    assert main(["sample", str(run), "--n", "2", "--png-dir", str(folder)]) == 1
    assert "is not empty" in capsys.readouterr().err and not (folder / "000000.png").exists()
    assert main(["sample", str(run), "--n", "2", "--png-dir", str(folder), "--force"]) == 0
    assert sorted(p.name for p in folder.iterdir()) == ["000000.png", "000001.png", "keep.txt"]
    assert main(["sample", str(run), "--n", "2"]) == 1
    assert "give --out" in capsys.readouterr().err


def test_interpolate_grid_rows_run_between_seeded_samples(run, tmp_path, capsys):
    out, npy = tmp_path / "i.png", tmp_path / "i.npy"
    assert main(["interpolate", str(run), "--out", str(out), "--rows", "3", "--steps", "5", "--seed", "2",
                 "--method", "spherical", "--npy", str(npy)]) == 0
    generator = load_generator(run)
    path = np.load(npy)
    z = generator.latents(6, seed=2)
    np.testing.assert_array_equal(path[:, 0], z[0::2])
    np.testing.assert_allclose(path[:, -1], z[1::2], atol=1e-12)
    # 8x8 tiles magnified x8, 1-pixel padding: 5 columns, 3 rows.
    assert Image.open(out).size == (5 * 65 - 1, 3 * 65 - 1)
    grid = np.asarray(Image.open(out))
    first = np.rint(np.clip(generator.sample(1, seed=2), 0, 1) * 255).astype(np.uint8)[0]
    np.testing.assert_array_equal(grid[:64:8, :64:8], first)
    assert "3 spherical interpolations x 5 steps" in capsys.readouterr().out


def test_project_prints_the_errors_of_the_least_squares_projection(run, tmp_path, toy_folder, capsys):
    out, npy = tmp_path / "p.png", tmp_path / "p.npy"
    assert main(["project", str(run), str(toy_folder), "--out", str(out), "--n", "5", "--skip", "2",
                 "--npy", str(npy)]) == 0
    images = load_images(toy_folder, 8, n_images=7, subset="first", base=8)[2:]
    result = project(load_generator(run), images)
    np.testing.assert_allclose(np.load(npy), result.latents, rtol=1e-12, atol=1e-12)
    text = capsys.readouterr().out
    rows = re.findall(r"^\s+(\d+)\s+([\d.]+)\s+([\d.]+)$", text, re.M)
    assert [int(r[0]) for r in rows] == [2, 3, 4, 5, 6]
    np.testing.assert_allclose([float(r[1]) for r in rows], result.rms_error, atol=5e-5)
    np.testing.assert_allclose([float(r[2]) for r in rows], result.explained, atol=5e-5)
    assert f"mean RMS error {result.rms_error.mean():.4f}" in text
    # Originals beside projections: 5 pairs, 8 columns (4 pairs) per row, 2 rows.
    assert Image.open(out).size == (8 * 65 - 1, 2 * 65 - 1)
