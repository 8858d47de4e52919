r"""Eigenvalue soft-thresholding: the optimal generator and critic on images
=========================================================================

With a linear generator :math:`G = Z W` and a quadratic-activation critic, the WGAN is (docs/theory.md section 2)

.. math::  \min_W \|W\|_F^2 \quad \text{s.t.} \quad \|S_X - W^T S_Z W\|_2 \le \beta ,

and its solution soft-thresholds the spectrum of the (centred) data: with
:math:`S_X = V \operatorname{diag}(\lambda) V^T` and :math:`k = \#\{\lambda_i > \beta\}`,

.. math::  S_G^* = (S_X - \beta I)_+ , \qquad
           W^* = Q_k \operatorname{diag}\big(\sqrt{(\lambda_k - \beta) / s_k^2}\big) V_k^T , \qquad
           D^*(x) = \|V_k^T x\|^2 .

The optimal critic's neurons are the top-k principal directions of the data, drawn here as pictures (grey is 0).
The figure shows the data spectrum, beta, the generated spectrum, those directions, real images and generated
ones. The script checks the generated spectrum against :math:`(\lambda_i - \beta)_+` computed independently with
numpy, that the critic's neurons span the top-k eigenvectors, and that the constraint is active.

Data: scikit-learn's bundled digits (8 x 8) by default; ``--data`` takes the shared ``mnist.npz`` or
``att_faces.npz`` (or any source :func:`convexgan.data.open_images` reads) at ``--resolution``.

Run: ``python examples/plot_soft_thresholding.py [--data PATH --resolution R] [--k K] [--out DIR] [--fast]``.
"""

import argparse
from pathlib import Path

import numpy as np

from convexgan.data import load_images
from convexgan.duality import critic_gap, solve
from convexgan.plotting import draw_spectra, image_grid, signed_images


def images_from(data, resolution, n_images):
    """``(n, r, r, C)`` images in [0, 1]: the sklearn digits when ``data`` is None, else ``load_images(data)``."""
    if data is None:
        from sklearn.datasets import load_digits

        return (load_digits().images / 16.0)[..., None]
    return load_images(data, resolution, n_images=n_images, subset="first")


def main(argv=None):
    """Solve, check and draw; return the checked numbers."""
    parser = argparse.ArgumentParser(description="Eigenvalue soft-thresholding on images")
    parser.add_argument("--data", help="image source (default: sklearn digits), e.g. ../shared/data/att_faces.npz")
    parser.add_argument("--resolution", type=int, default=16, help="image size for --data (default 16)")
    parser.add_argument("--n-images", type=int, default=5000, help="images read from --data (default 5000)")
    parser.add_argument("--k", type=int, default=12, help="kept components (default 12)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("convexgan_examples"), help="output folder")
    parser.add_argument("--fast", action="store_true", help="k = 6 (for tests)")
    args = parser.parse_args(argv)
    from matplotlib.figure import Figure

    k = 6 if args.fast else args.k
    images = images_from(args.data, args.resolution, args.n_images)
    shape = images.shape[1:]
    pixels = images.reshape(images.shape[0], -1).astype(np.float64)
    mean = pixels.mean(axis=0)
    X = pixels - mean
    Z = np.random.default_rng(args.seed).standard_normal((X.shape[0], k))
    s = solve(X, "quadratic", "linear", Z=Z, k=k)

    lam, V = np.linalg.eigh(X.T @ X / X.shape[0])
    lam, V = lam[::-1], V[:, ::-1]
    expected = np.maximum(lam - s.beta, 0)
    generated = np.linalg.eigvalsh(s.second_moment)[::-1]
    spectrum_error = float(np.abs(generated - expected).max() / lam[0])
    U = s.critic.U
    subspace_error = float(np.linalg.norm(U @ U.T - V[:, :k] @ V[:, :k].T))
    constraint_value = critic_gap(X, s.G, "quadratic") / s.beta
    print(f"{images.shape[0]} images {shape}, d = {X.shape[1]}, k = {k}, beta = lambda_{k + 1} = {s.beta:.6g}")
    print(f"max |lambda_i(S_G) - (lambda_i - beta)_+| / lambda_1 = {spectrum_error:.2e}")
    print(f"||U U^T - V_k V_k^T||_F (critic neurons vs top-k eigenvectors) = {subspace_error:.2e}")
    print(f"constraint value ||S_X - S_G||_2 / beta = {constraint_value:.12f}; ||W||_F^2 = {s.value:.6g}, "
          f"dual bound {s.certificate['dual']:.6g}")
    assert spectrum_error < 1e-10, spectrum_error
    assert subspace_error < 1e-8, subspace_error
    assert abs(constraint_value - 1) < 1e-9, constraint_value
    assert abs(s.certificate["gap"]) <= 1e-9 * (1 + s.value), s.certificate

    figure = Figure(figsize=(12, 7.5), layout="constrained")
    grid = figure.add_gridspec(2, 3)
    draw_spectra(figure.add_subplot(grid[0, 0]), lam, s.beta, generated)
    panels = [
        (grid[0, 1:], signed_images(U, shape), f"optimal critic: the top-{k} principal directions (grey = 0)",
         int(np.ceil(k / 2))),
        (grid[1, 0], np.clip(images[:16], 0, 1), "real", 4),
        (grid[1, 1], np.clip(s.G[:16] + mean, 0, 1).reshape(16, *shape), "generated G = Z W* (+ mean)", 4),
    ]
    for cell, tiles, title, ncols in panels:
        ax = figure.add_subplot(cell)
        picture = image_grid(tiles, ncols=ncols, pad=1)
        ax.imshow(picture[..., 0] if picture.shape[2] == 1 else picture, cmap="gray", vmin=0, vmax=255)
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    ax = figure.add_subplot(grid[1, 2])
    ax.plot(np.arange(1, k + 1), lam[:k], "o", label="data")
    ax.plot(np.arange(1, k + 1), generated[:k], "s", mfc="none", label="generated")
    ax.plot(np.arange(1, k + 1), lam[:k] - s.beta, "k+", ms=10, label="data - beta")
    ax.set_xlabel("index i")
    ax.set_title("kept eigenvalues: shifted down by beta", fontsize=9)
    ax.legend()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "soft_thresholding.png"
    figure.savefig(path, dpi=100)
    print(f"checked: generated spectrum = (lambda - beta)+, critic = top-{k} directions, (C) active; wrote {path}")
    return {"spectrum_error": spectrum_error, "subspace_error": subspace_error, "constraint_value": constraint_value,
            "beta": s.beta, "k": k, "d": X.shape[1]}


if __name__ == "__main__":
    main()
