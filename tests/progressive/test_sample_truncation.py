"""`convexgan sample --truncation PSI`: the latents scaled by PSI, so samples move towards the mean by PSI."""

import numpy as np
import pytest

from convexgan.cli import main
from convexgan.progressive import load_generator


@pytest.fixture(scope="module")
def run(tmp_path_factory, toy_folder):
    folder = tmp_path_factory.mktemp("truncation") / "run"
    assert main(["train", str(toy_folder), "--out", str(folder), "--resolutions", "4", "8", "--k", "5", "9",
                 "--latent", "8", "--quiet"]) == 0
    return folder


def test_truncated_samples_are_the_samples_moved_towards_the_mean_by_psi(run, tmp_path):
    generator = load_generator(run)
    _, b = generator.affine_map()
    mean = (b + generator.stages[-1].mean).numpy().reshape(8, 8, 3)
    for psi in ("1", "0.5", "2"):
        assert main(["sample", str(run), "--n", "20", "--seed", "4", "--truncation", psi,
                     "--out", str(tmp_path / f"g{psi}.png"), "--npy", str(tmp_path / f"s{psi}.npy")]) == 0
    full = np.load(tmp_path / "s1.npy")
    np.testing.assert_array_equal(full, generator.sample(20, seed=4))
    # float32 images of float64 arithmetic: both sides rounded to float32 once (relative 6e-8 of pixel values ~1).
    for psi in (0.5, 2.0):
        truncated = np.load(tmp_path / f"s{psi:g}.npy")
        np.testing.assert_allclose(truncated - mean, psi * (full - mean), rtol=0, atol=1e-6)
    assert np.abs(full - mean).max() > 0.05  # the check above is not vacuous


@pytest.mark.parametrize("psi", ["0", "-0.5", "nan", "inf"])
def test_truncation_must_be_a_positive_number(psi, tmp_path, capsys):
    assert main(["sample", str(tmp_path), "--out", str(tmp_path / "g.png"), "--truncation", psi]) == 1
    assert f"--truncation={float(psi)} must be a finite number > 0" in capsys.readouterr().err
