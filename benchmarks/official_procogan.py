"""Faithful re-implementation of the official ProCoGAN training loop, for benchmarking only (not package code).

It follows ``layerwise()`` of ``ardasahiner/ProCoGAN/ProCoGAN/supplement_celebA_procogan.ipynb`` with its published
settings (bias=True, upsample=True, no skip connection, no attribute filter, no plotting or FID):

- every image is opened with Pillow, optionally cropped, resized to the final resolution (``im.resize((r, r))``,
  Pillow's default filter) and kept in memory; at each stage every kept image is resized to the stage
  resolution, stacked (``n x d``), divided by 255 and centred;
- ``m`` noise rows ``Z ~ N(0, I_48)`` are drawn at every stage, a ones column appended, pushed through all
  previous weights with nearest-neighbour upsampling and a ones column after each;
- CPU path (``path='float64'``; numpy, float64): full ``np.linalg.svd`` of ``Zhat`` and of the centred data
  (``full_matrices`` left at its default, True) at every resolution; CUDA path (``path='float32'``; torch,
  float32, on ``device``, which may be the CPU): ``Zhat`` and the weights moved to float32 for every product
  ``Zhat @ w`` (the result comes back as a float32 array; the appended ones column makes it float64 again,
  holding float32 values), ``torch.linalg.svd`` below 64 x 64 and ``torch.svd_lowrank(q=k)`` / ``q=k+1``
  (2 power iterations) from 64 x 64, as the notebook's ``torch.svd`` / ``svd_lowrank``;
- ``beta = s[k]^2`` (sum units, float32 on the CUDA path) and ``W = Q_k diag(1/D_k) diag(sqrt(s_k^2 - beta))
  V_k^T``, formed densely in the path's dtype, as the notebook.

Differences from the notebook (checked line by line against its ``layerwise()``): file order is sorted (the
notebook uses ``os.listdir`` order), images come from a tar archive instead of a folder, the seed is set
(``np.random.seed``) or the noise rows are passed in (``noise=``), ``torch.svd(A)`` is written
``torch.linalg.svd(A, full_matrices=False)`` (the same reduced SVD; ``torch.svd`` is deprecated), the CUDA
path's device is a parameter, and per stage the numerical rank of ``Z_hat`` and the certificate
``||X^T X - G^T G||_2 / beta`` (G = ``Z_hat @ W`` on the stage's training noise rows) are computed, the latter
outside the timed region. The validation samples, plots, histogram matching and FID are left out (they do not
affect the weights).
"""

import io
import tarfile
import time

import numpy as np
import scipy.sparse.linalg
import torch
from PIL import Image


def composition(data, im_size, cropped=False):
    """The notebook's ``composition``: optional 128 x 128 crop at (89, 121) (scaled to the frame), resize."""
    im1 = Image.open(io.BytesIO(data))
    if cropped:
        w, h = im1.size
        sx, sy = w / 178, h / 218
        im1 = im1.crop((round((89 - 64) * sx), round((121 - 64) * sy), round((89 + 64) * sx), round((121 + 64) * sy)))
    return im1.resize((im_size, im_size))


def load_images(tar_path, n, final_resolution, cropped=False):
    """The first ``n`` images of the tar archive (sorted names) as PIL images at the final resolution."""
    with tarfile.open(tar_path) as archive:
        members = sorted((m for m in archive.getmembers() if m.isfile() and m.name.lower().endswith(".jpg")),
                         key=lambda m: m.name)[:n]
        return [composition(archive.extractfile(m).read(), final_resolution, cropped) for m in members]


def spectral_gap(XtX, GtG):
    """``||XtX - GtG||_2`` (largest-magnitude eigenvalue, ARPACK, float64)."""
    D = XtX - GtG
    if D.shape[0] <= 1024:
        return float(np.abs(np.linalg.eigvalsh(D)).max())
    v0 = np.random.default_rng(0).standard_normal(D.shape[0])
    return float(abs(scipy.sparse.linalg.eigsh(D, k=1, which="LM", v0=v0, return_eigenvectors=False)[0]))


def numerical_rank(D, shape, eps):
    """``numpy.linalg.matrix_rank``'s rule on singular values ``D``: count above ``max(shape) * eps * D.max()``."""
    tol = float(D.max()) * max(shape) * eps
    return int((D > tol).sum()), tol


def layerwise(lazy_arrays, truncation_indices, init_resolution=4, final_resolution=64, training_gen_samples=None,
              d_latent=48, device="cpu", seed=0, certificate=True, path=None, noise=None):
    """Train as the official notebook; return the weights and per-stage records.

    Parameters
    ----------
    path : {'float64', 'float32'} or None
        The notebook's arithmetic: 'float64' its numpy CPU branch, 'float32' its torch CUDA branch (run on
        ``device``, which may be the CPU). Default: 'float32' when ``device='cuda'``, else 'float64'.
    noise : callable or None
        ``noise(i, m, d_latent)`` gives stage ``i``'s noise rows ``Z`` (float64 ``m x d_latent``); default
        ``np.random.randn(m, d_latent)`` after ``np.random.seed(seed)``, as the notebook draws them.

    Returns
    -------
    weights : list of ndarray
    stages : list of dict
        ``resolution``, ``k``, ``seconds`` (stage wall-clock), ``rank`` and ``rank_tolerance`` (numerical rank of
        ``Z_hat`` at the path's dtype, ``numpy.linalg.matrix_rank``'s rule; from the ``q`` computed singular values
        on the randomized branch), ``weight_norm`` (``||W||_F``), ``constraint_value``
        (``||X^T X - G^T G||_2 / beta``, ``G = Z_hat W`` in float64) and ``certificate_seconds`` (not in
        ``seconds``).
    """
    path = path or ("float32" if device == "cuda" else "float64")
    if path not in ("float64", "float32"):
        raise ValueError(f"path={path!r} must be 'float64' (numpy CPU branch) or 'float32' (torch CUDA branch)")
    np.random.seed(seed)
    noise = noise or (lambda i, m, d: np.random.randn(m, d))
    m = training_gen_samples or len(lazy_arrays)
    weights, stages = [], []
    num_blocks = int(np.log2(final_resolution // init_resolution)) + 1
    curr_res = init_resolution
    for i in range(num_blocks):
        start = time.perf_counter()
        curr_arrs = [np.array(im1.resize((curr_res, curr_res)), dtype="uint8") for im1 in lazy_arrays]
        image_data = np.stack(curr_arrs)
        celebA = image_data / 255
        celeb_a_means = np.mean(celebA, axis=0)
        celeb_a_centered = celebA - celeb_a_means
        celeb_a_centered = celeb_a_centered.reshape((celeb_a_centered.shape[0], -1))
        truncation_idx = truncation_indices[i]
        Z = noise(i, m, d_latent)
        Z_hat = np.concatenate((Z, np.ones((len(Z), 1))), 1)
        tmp_im_size = init_resolution
        for w in weights:
            if path == "float32":
                Z_hat = (torch.from_numpy(Z_hat).float().to(device) @ torch.from_numpy(w).float().to(device)).cpu().numpy()
            else:
                Z_hat = Z_hat @ w
            Z_hat = Z_hat.reshape((Z_hat.shape[0], tmp_im_size, tmp_im_size, 3))
            Z_hat = Z_hat.repeat(2, axis=1).repeat(2, axis=2)
            Z_hat = Z_hat.reshape((Z_hat.shape[0], -1))
            tmp_im_size *= 2
            Z_hat = np.concatenate((Z_hat, np.ones((len(Z_hat), 1))), 1)
        if path == "float32":
            Zt = torch.from_numpy(Z_hat).float().to(device)
            if curr_res < 64:
                _, D, qt = torch.linalg.svd(Zt, full_matrices=False)
            else:
                _, D, q = torch.svd_lowrank(Zt, q=truncation_idx)
                qt = q.t()
            Xt = torch.from_numpy(celeb_a_centered).float().to(device)
            if curr_res < 64:
                _, s, vt = torch.linalg.svd(Xt, full_matrices=False)
            else:
                _, s, v = torch.svd_lowrank(Xt, q=truncation_idx + 1)
                vt = v.t()
            beta = s[truncation_idx] ** 2
            W_g = qt[:truncation_idx, :].t() @ torch.diag(1 / D[:truncation_idx]) @ torch.diag(
                torch.sqrt(s[:truncation_idx] ** 2 - beta)) @ vt[:truncation_idx, :]
            W_g = W_g.cpu().numpy()
            beta = float(beta)
            D = D.cpu().numpy()
            eps = float(np.finfo(np.float32).eps)
            if device == "cuda":
                torch.cuda.synchronize()
        else:
            _, D, qt = np.linalg.svd(Z_hat)
            _, s, vt = np.linalg.svd(celeb_a_centered)
            beta = s[truncation_idx] ** 2
            W_g = qt[:truncation_idx, :].T @ np.diag(1 / D[:truncation_idx]) @ np.diag(
                np.sqrt(s[:truncation_idx] ** 2 - beta)) @ vt[:truncation_idx, :]
            eps = float(np.finfo(np.float64).eps)
        weights.append(W_g)
        seconds = time.perf_counter() - start
        rank, tol = numerical_rank(D, Z_hat.shape, eps)
        record = {"resolution": curr_res, "k": truncation_idx, "seconds": seconds, "rank": rank,
                  "rank_tolerance": tol, "weight_norm": float(np.linalg.norm(W_g.astype(np.float64)))}
        if certificate:
            start = time.perf_counter()
            if device == "cuda":
                X = torch.from_numpy(celeb_a_centered).double().cuda()
                G = torch.from_numpy(Z_hat).double().cuda() @ torch.from_numpy(W_g).double().cuda()
                gap = float(torch.linalg.eigvalsh(X.T @ X - G.T @ G).abs().max())
            else:
                X = celeb_a_centered.astype(np.float64)
                G = Z_hat.astype(np.float64) @ W_g.astype(np.float64)
                gap = spectral_gap(X.T @ X, G.T @ G)
            record["constraint_value"] = gap / float(beta)
            record["certificate_seconds"] = time.perf_counter() - start
            del X, G
        stages.append(record)
        del celeb_a_centered, celebA, image_data, Z_hat
        curr_res *= 2
    return weights, stages
