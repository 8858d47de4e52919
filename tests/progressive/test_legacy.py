"""Legacy mode against the official notebook's arithmetic: dense propagation, ranks, randomized SVD, real data."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from threadpoolctl import threadpool_limits

from convexgan.progressive import RankDefectWarning, load_generator, train
from convexgan.progressive.stages import legacy
from convexgan.progressive.model.seeds import stage_seed

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from official_procogan import layerwise, load_images  # noqa: E402

RESOLUTIONS = [2, 4, 8]
K = [4, 10, 16]


def numpy_input(stages, z):
    """Independent transcription of the notebook's forward pass: [z, 1], then [up(Zhat @ (B V^T)), 1] (numpy)."""
    ones = np.ones((len(z), 1))
    Zhat = np.concatenate([z, ones], 1)
    for s in stages:
        G = Zhat @ (s.B.numpy() @ s.V.numpy().T)
        G = G.reshape(len(z), s.resolution, s.resolution, s.channels).repeat(2, 1).repeat(2, 2)
        Zhat = np.concatenate([G.reshape(len(z), -1), ones], 1)
    return Zhat


def test_rank_warning_states_the_numerical_rank_of_the_propagated_input(tmp_path, toy):
    with pytest.warns(RankDefectWarning) as record:
        train(toy, tmp_path / "run", resolutions=RESOLUTIONS, k=K, latent=8, mode="legacy", progress=False)
    stages = json.loads((tmp_path / "run" / "report.json").read_text())["stages"]
    generator = load_generator(tmp_path / "run")
    ranks, tolerances = [], []
    for i in range(3):
        Zhat = numpy_input(generator.stages[:i], legacy.noise_rows(0, i, len(toy), 8).numpy())
        s = np.linalg.svd(Zhat, compute_uv=False)
        ranks.append(np.linalg.matrix_rank(Zhat))
        tolerances.append(s[0] * max(Zhat.shape) * np.finfo(np.float64).eps)
    # 8 latent columns and the ones column; the 2x2 stage keeps 4 directions (+ ones); the 4x4 stage's dense
    # W (entries near 1e14) fills all 48 distinct pixel directions of the 8x8 input by rounding.
    assert ranks == [9, 5, 49] == [s["input"]["rank"] for s in stages]
    np.testing.assert_allclose([s["input"]["rank_tolerance"] for s in stages], tolerances, rtol=1e-4)
    assert [s["input"]["dtype"] for s in stages] == ["float64"] * 3
    assert len(record) == 1
    message = str(record[0].message)
    assert "k=10 exceeds the numerical rank 5 of the propagated input Zhat (160 x 49, float64" in message
    assert f"{tolerances[1]:.3g}" in message
    assert stages[1]["constraint_value"] > 1.5 and stages[1]["weight_norm"] > 1e12
    assert stages[2]["constraint_value"] <= 1 + 1e-6


def low_rank_data(n, d, seed=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * np.geomspace(1, 1e-2, d)
    return torch.from_numpy(X @ np.linalg.qr(rng.standard_normal((d, d)))[0])


def assert_same_pairs(lam, V, s, V_torch, n, rtol):
    np.testing.assert_allclose(lam.numpy(), s.double().numpy() ** 2 / n, rtol=rtol)
    np.testing.assert_allclose(np.abs(np.diag(V_torch.double().numpy().T @ V.numpy())), 1, atol=10 * rtol)


@pytest.mark.parametrize("dtype, rtol", [(torch.float64, 1e-9), (torch.float32, 1e-4)])
def test_randomized_eigenpairs_from_the_moment_equal_svd_lowrank_of_tall_data(dtype, rtol):
    n, d, q = 300, 40, 7
    X = low_rank_data(n, d)
    torch.manual_seed(11)
    _, s, V_torch = torch.svd_lowrank(X.to(dtype), q=q, niter=2)
    torch.manual_seed(11)
    lam, V = legacy.randomized_eigenpairs(X.T @ X / n, torch.randn(d, q, dtype=dtype), n, niter=2)
    assert_same_pairs(lam, V, s, V_torch, n, rtol)
    exact = np.linalg.eigvalsh((X.T @ X / n).numpy())[::-1][:q]
    assert np.all(lam.numpy() <= exact * (1 + 1e-12)) and lam[-1] < exact[-1] * (1 - 1e-3)


def test_wide_data_branch_is_the_ritz_pairs_on_the_data_start_block():
    n, d, q = 30, 60, 6
    X = low_rank_data(n, d)
    torch.manual_seed(5)
    _, s, V_torch = torch.svd_lowrank(X, q=q, niter=2)
    torch.manual_seed(5)
    lam, V = legacy.ritz_pairs(X.T @ X / n, X.T @ torch.randn(n, q, dtype=X.dtype), niter=2)
    assert_same_pairs(lam, V, s, V_torch, n, 1e-9)
    # From the moment alone the start block is L Omega, of the law of X^T Omega' (columns N(0, S)): over repeated
    # draws the last singular value and the Rayleigh quotient of the last vector have the same mean as torch's.
    S = X.T @ X / n
    torch_draws, moment_draws = [], []
    for seed in range(300):
        torch.manual_seed(seed)
        _, s, V_torch = torch.svd_lowrank(X, q=q, niter=1)
        torch_draws.append([float(s[-1]) ** 2 / n, float(V_torch[:, -1] @ S @ V_torch[:, -1])])
        lam, V = legacy.randomized_eigenpairs(S, torch.randn(d, q, dtype=X.dtype), n, niter=1)
        moment_draws.append([float(lam[-1]), float(V[:, -1] @ S @ V[:, -1])])
    a, b = np.array(torch_draws), np.array(moment_draws)
    standard_error = np.sqrt((a.var(0) + b.var(0)) / len(a))
    assert np.all(np.abs(a.mean(0) - b.mean(0)) < 4 * standard_error), (a.mean(0), b.mean(0), standard_error)


def test_float32_path_from_64x64_takes_the_randomized_svd_of_the_data(tmp_path, toy, monkeypatch):
    monkeypatch.setattr(legacy, "RANDOMIZED_FROM", 4)
    train(toy, tmp_path / "run", resolutions=[4], k=[6], latent=8, mode="legacy", legacy_dtype="float32",
          progress=False)
    stage = json.loads((tmp_path / "run" / "report.json").read_text())["stages"][0]
    X = np.stack([np.asarray(Image.fromarray(im).resize((4, 4), Image.BICUBIC), np.float64) / 255 for im in toy])
    X = X.reshape(len(toy), -1) - X.reshape(len(toy), -1).mean(0)
    torch.manual_seed(stage_seed(0, 0))
    _, s, _ = torch.svd_lowrank(torch.from_numpy(X).float(), q=7, niter=2)
    notebook = s.double().numpy() ** 2 / len(toy)
    np.testing.assert_allclose(stage["kept_eigenvalues"], notebook[:6], rtol=1e-4)
    np.testing.assert_allclose(stage["beta"], notebook[6], rtol=1e-4)
    exact = np.linalg.eigvalsh(X.T @ X / len(toy))[::-1]
    assert stage["beta"] < exact[6] * (1 - 1e-3)
    assert stage["input"]["dtype"] == "float32" and stage["eigensolver"]["method"].startswith("randomized")


@pytest.mark.parametrize("path", ["float64", "float32"])
def test_stage_statistics_match_the_notebook_on_real_celeba(tmp_path, shared_file, path):
    """First 300 CelebA images, 4 -> 16, k = 20 30 40, the same noise rows in both."""
    tar = shared_file("celeba10k_89x109.tar")
    k = [20, 30, 40]
    with threadpool_limits(1), torch.random.fork_rng():
        torch.set_num_threads(1)
        noise = lambda i, m, d: legacy.noise_rows(0, i, m, d).numpy()  # noqa: E731
        _, notebook = layerwise(load_images(tar, 300, 16), k, 4, 16, path=path, noise=noise)
        with pytest.warns(RankDefectWarning, match="k=30 exceeds the numerical rank 21"):
            # the notebook resizes from its top resolution 16 (the default base would be 64 on these frames)
            train(tar, tmp_path / "run", resolutions=[4, 8, 16], k=k, n_images=300, subset="first", mode="legacy",
                  legacy_dtype=path, base_resolution=16, progress=False)
    ours = json.loads((tmp_path / "run" / "report.json").read_text())["stages"]
    assert [s["rank"] for s in notebook] == [s["input"]["rank"] for s in ours] == [49, 21, 193]
    # The tolerance scales with the largest singular value of the input, which from 8x8 on is the output of dense
    # weights near 1/eps: its last digits follow the rounding of numpy's and torch's products (1.4e-3 seen).
    np.testing.assert_allclose([s["rank_tolerance"] for s in notebook], [s["input"]["rank_tolerance"] for s in ours],
                               rtol=1e-2)
    # 4x4: an ordinary feasible stage, the same solution.
    assert ours[0]["constraint_value"] == pytest.approx(notebook[0]["constraint_value"], abs=2e-4)
    assert ours[0]["weight_norm"] == pytest.approx(notebook[0]["weight_norm"], rel=1e-5)
    # 8x8: k = 30 > rank 21, weights of order 1/eps, infeasible in both.
    scale = {"float64": 1e14, "float32": 1e6}[path]
    for s in (notebook[1], ours[1]):
        assert s["constraint_value"] > 5 and scale / 10 < s["weight_norm"] < scale * 100
    # 16x16: the rounding of the dense 8x8 weights fills all 192 pixel directions: feasible by accident.
    for s in (notebook[2], ours[2]):
        assert s["constraint_value"] <= 1 + 2e-3 and s["weight_norm"] < 1e3
