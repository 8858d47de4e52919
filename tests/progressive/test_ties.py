"""Ties (issue 25 item 4): data closed under the dihedral group of the square have exact double eigenvalues; a k at
a tie is refused on every eigen-path, with the nearest attainable k, as convexgan.duality.closed_form.beta_from_k."""

import warnings

import numpy as np
import pytest

from convexgan.duality.closed_form import beta_from_k
from convexgan.progressive import train

PATHS = [("principled", "dense", "float32"), ("principled", "dense", "float64"), ("principled", "eigsh", "float32"),
         ("principled", "lobpcg", "float64"), ("principled", "auto", "float32"), ("principled", "operator", "float32"),
         ("principled", "gram", "float32"), ("legacy", "dense", "float32"), ("legacy", "eigsh", "float64")]


def dihedral_images(count: int = 5, size: int = 8, seed: int = 3) -> np.ndarray:
    """``count`` seeded random colour images and their 8 rotations/flips (``8 * count`` images)."""
    base = np.random.default_rng(seed).integers(0, 256, (count, size, size, 3), dtype=np.uint8)
    out = []
    for image in base:
        for turns in range(4):
            turned = np.rot90(image, turns, axes=(0, 1))
            out += [turned, turned[:, ::-1]]
    return np.ascontiguousarray(np.stack(out))


def spectrum(images: np.ndarray) -> np.ndarray:
    """Independent float64 eigenvalues of the centred second moment, descending."""
    X = images.reshape(len(images), -1) / 255.0
    Xc = X - X.mean(0)
    return np.linalg.eigvalsh(Xc.T @ Xc / len(X))[::-1]


def first_tie(lam: np.ndarray) -> int:
    """The smallest k with lambda_k = lambda_(k+1) to float64 rounding (an exact double eigenvalue)."""
    gaps = lam[:-1] - lam[1:]
    return int(np.flatnonzero(gaps <= 1e-12 * lam[0])[0]) + 1


def test_dihedral_data_have_exact_ties() -> None:
    """The data have a double eigenvalue, which the duality module refuses as k (the message training matches)."""
    X = dihedral_images().reshape(40, -1) / 255.0
    lam = spectrum(dihedral_images())
    k = first_tie(lam)
    assert lam[k - 1] - lam[k] <= 1e-12 * lam[0]
    with pytest.raises(ValueError, match=f"k={k} is not attainable: .* tied .* nearest attainable k: {k - 1}"):
        beta_from_k(X - X.mean(0), k)


@pytest.mark.parametrize(("mode", "eigensolver", "dtype"), PATHS)
def test_k_at_tie_refused_on_every_path(tmp_path, mode: str, eigensolver: str, dtype: str) -> None:
    images = dihedral_images()
    lam = spectrum(images)
    k = first_tie(lam)
    nearest = int(np.flatnonzero(lam[: k - 1] - lam[1:k] > 1e-9 * lam[0])[-1]) + 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=rf"^k={k} is not attainable: .* tied .* nearest attainable k: {nearest} "):
            train(images, tmp_path / "run", resolutions=[8], k=k, latent=4, dtype=dtype, eigensolver=eigensolver,
                  mode=mode, progress=False)


@pytest.mark.parametrize("eigensolver", ["dense", "operator", "gram"])
def test_k_off_tie_keeps_k(tmp_path, eigensolver: str) -> None:
    """Below the tie the configured k is the kept k (the Gram path does not drop one)."""
    images = dihedral_images()
    lam = spectrum(images)
    k = first_tie(lam) - 1
    assert lam[k - 1] - lam[k] > 1e-6 * lam[0]
    generator = train(images, tmp_path / "run", resolutions=[8], k=k, latent=4, dtype="float64",
                      eigensolver=eigensolver, progress=False)
    F, _ = generator.affine_map(0)
    assert np.linalg.matrix_rank(np.asarray(F, np.float64), tol=1e-9 * float(abs(F).max())) == k
