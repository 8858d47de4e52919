"""Every stage against independent computations: soft-thresholded moments, convexgan.duality.solve, samples."""

import json
import warnings

import numpy as np
import pytest
import torch

from convexgan.duality import InfeasibleError, solve
from convexgan.progressive import train
from convexgan.progressive.model.generator import stage_input_map, upsample

from conftest import centred_second_moment

RESOLUTIONS = [2, 4, 8]
K = [4, 10, 16]
BASE = 16  # the default base resolution: the toy frames are 16 x 16 (runs grow by default up to the frames)


@pytest.fixture(scope="module")
def principled(tmp_path_factory, toy):
    run = tmp_path_factory.mktemp("principled") / "run"
    generator = train(toy, run, resolutions=RESOLUTIONS, k=K, latent=8, dtype="float64", progress=False)
    return generator, json.loads((run / "report.json").read_text())


def soft_threshold(S, beta):
    lam, V = np.linalg.eigh(S)
    return (V * np.maximum(lam - beta, 0)) @ V.T, lam[::-1]


def test_each_stage_generates_the_soft_thresholded_moment(principled, toy):
    generator, report = principled
    for i, (r, k) in enumerate(zip(RESOLUTIONS, K)):
        S, mean = centred_second_moment(toy, r, BASE)
        lam = np.linalg.eigvalsh(S)[::-1]
        beta = lam[k]
        target, _ = soft_threshold(S, beta)
        F, b = (t.numpy() for t in generator.affine_map(i))
        S_G = F.T @ F + np.outer(b, b)
        assert np.linalg.norm(S_G - target, 2) <= 1e-10 * lam[0]
        np.testing.assert_allclose(b, 0, atol=1e-12)
        np.testing.assert_allclose(generator.stages[i].mean.numpy(), mean, atol=1e-12)
        stage = report["stages"][i]
        assert stage["k"] == k and stage["beta"] == pytest.approx(beta, rel=1e-10)
        np.testing.assert_allclose(stage["kept_eigenvalues"], lam[:k], rtol=1e-10)
        assert abs(stage["constraint_value"] - 1) <= 1e-9


def test_each_stage_agrees_with_duality_solve_on_the_same_moments(principled, toy):
    generator, _ = principled
    for i, (r, k) in enumerate(zip(RESOLUTIONS, K)):
        S, _ = centred_second_moment(toy, r, BASE)
        lam, V = np.linalg.eigh(S)
        X = np.sqrt(S.shape[0]) * (V * np.sqrt(np.maximum(lam, 0))).T
        free = solve(X, "quadratic", "free", k=k, method="closed_form")
        F, _ = (t.numpy() for t in generator.affine_map(i))
        assert np.linalg.norm(F.T @ F - free.second_moment, 2) <= 1e-9 * lam[-1]
        stage = generator.stages[i]
        Fin, _ = stage_input_map(generator.stages[:i], stage.fresh, stage.scale, stage.ones)
        Z = np.sqrt(Fin.shape[0]) * Fin.numpy()
        linear = solve(X, "quadratic", "linear", Z=Z, k=k, method="closed_form")
        W = stage.B.numpy() @ stage.V.numpy().T
        assert np.linalg.norm(W) ** 2 == pytest.approx(np.linalg.norm(linear.W) ** 2, rel=1e-9)
        np.testing.assert_allclose(W.T @ (Z.T @ Z / len(Z)) @ W, linear.W.T @ (Z.T @ Z / len(Z)) @ linear.W,
                                   atol=1e-10 * lam[-1])


def test_fresh_samples_have_the_soft_thresholded_second_moment(principled, toy):
    generator, report = principled
    N = 20000
    x = generator.sample(N, seed=3, dtype=torch.float64).reshape(N, -1).astype(np.float64)
    S, mean = centred_second_moment(toy, 8, BASE)
    target, _ = soft_threshold(S, report["stages"][-1]["beta"])
    xc = x - mean
    # E||S_hat - T||_F^2 = (tr(T)^2 + ||T||_F^2) / N for Gaussian samples; allow 4 standard errors.
    rms = np.sqrt((np.trace(target) ** 2 + np.sum(target**2)) / N)
    assert np.linalg.norm(xc.T @ xc / N - target) <= 4 * rms
    assert np.linalg.norm(xc.mean(0)) <= 4 * np.sqrt(np.trace(target) / N)


def test_samples_are_reproducible_and_shaped(principled):
    generator, _ = principled
    a = generator.sample(5, seed=1, stage=1)
    assert a.shape == (5, 4, 4, 3) and a.dtype == np.float32
    np.testing.assert_array_equal(a, generator.sample(5, seed=1, stage=1))
    assert not np.array_equal(a, generator.sample(5, seed=2, stage=1))
    assert generator.resolutions == RESOLUTIONS
    clipped = generator.sample(50, seed=1, clip=True)
    assert clipped.min() >= 0 and clipped.max() <= 1


def test_principled_mode_never_warns_and_needs_latent_at_least_k1(tmp_path, toy):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train(toy, tmp_path / "ok", resolutions=[4, 8], k=[6, 10], latent=6, progress=False)
    with pytest.raises(InfeasibleError, match="smallest feasible beta"):
        train(toy, tmp_path / "bad", resolutions=[4, 8], k=[6, 10], latent=5, progress=False)


@pytest.mark.parametrize("kwargs, match", [
    ({"resolutions": [4, 6]}, "double"),
    ({"k": [3, 5, 7]}, "one entry per resolution"),
    ({"k": [48, 50]}, "k=48 must be between 1 and d - 1 = 47"),
    ({"k": 3, "beta": 0.1}, "not both"),
    ({"mode": "fast"}, "mode='fast'"),
])
def test_bad_arguments_are_named(tmp_path, toy, kwargs, match):
    args = {"resolutions": [4, 8], "k": [3, 5], "latent": 60, "progress": False, **kwargs}
    with pytest.raises(ValueError, match=match):
        train(toy, tmp_path / "run", **args)


def test_beta_schedule_keeps_the_components_above_beta(tmp_path, toy):
    lams = [np.linalg.eigvalsh(centred_second_moment(toy, r, BASE)[0])[::-1] for r in (4, 8)]
    betas = [float(lam[j] + lam[j + 1]) / 2 for lam, j in zip(lams, (3, 7))]
    train(toy, tmp_path / "b", resolutions=[4, 8], beta=betas, latent=20, dtype="float64", progress=False)
    stages = json.loads((tmp_path / "b" / "report.json").read_text())["stages"]
    assert [s["k"] for s in stages] == [4, 8]
    assert [s["beta"] for s in stages] == betas
    for s in stages:
        assert s["constraint_value"] == pytest.approx(1.0, abs=1e-9)


def test_stage_signs_refine_the_upsampled_previous_stage(principled):
    generator, report = principled
    for i in range(1, len(RESOLUTIONS)):
        stage, prev = generator.stages[i], generator.stages[i - 1]
        F, _ = generator.affine_map(i)
        F_prev, _ = generator.affine_map(i - 1)
        U = upsample(F_prev, prev.resolution, prev.channels)
        U = torch.cat([U, torch.zeros(F.shape[0] - U.shape[0], U.shape[1], dtype=U.dtype)])
        Fin, _ = stage_input_map(generator.stages[:i], stage.fresh, stage.scale, stage.ones)
        terms = ((Fin @ stage.B) * (U @ stage.V)).sum(0)
        assert bool((terms >= 0).all())
        coherence = float((F - U).square().sum() / F.square().sum())
        assert report["stages"][i]["input"]["coherence"] == pytest.approx(coherence, rel=1e-9)
        flipped = F - 2 * (Fin @ stage.B[:, :1]) @ stage.V[:, :1].T
        assert float((flipped - U).square().sum() / flipped.square().sum()) >= coherence
