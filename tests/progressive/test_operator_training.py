"""Principled training through the data operator (no d x d moment) equals the dense path, in one process and two."""

import json
import warnings

import numpy as np
import pytest
import torch.distributed as dist
import torch.multiprocessing as mp

from convexgan.progressive import load_generator, train
from convexgan.progressive.config import TrainConfig
from convexgan.progressive.stages.policy import eigen_path
from convexgan.progressive.trainer import plan_eigensolvers

RESOLUTIONS = [4, 8, 16]
K = [4, 10, 16]
OPTIONS = dict(resolutions=RESOLUTIONS, k=K, latent=8, dtype="float64", progress=False)


def _stages(run):
    with open(run / "report.json") as fh:
        return json.load(fh)["stages"]


def _assert_same_weights(a, b, tol):
    """Same affine maps stage by stage (the pair signs are fixed by _fix_signs and the alignment on both paths)."""
    for i in range(len(RESOLUTIONS)):
        F1, m1 = a.affine_map(i)
        F2, m2 = b.affine_map(i)
        assert float((F1 - F2).abs().max()) <= tol * float(F1.abs().max())
        assert float((m1 - m2).abs().max()) <= 1e-14


@pytest.fixture(scope="module")
def dense_run(tmp_path_factory, toy):
    run = tmp_path_factory.mktemp("dense") / "run"
    return train(toy, run, eigensolver="dense", **OPTIONS), run


@pytest.mark.parametrize("method, tol", [("operator", 1e-8), ("gram", 1e-12)])
def test_operator_paths_train_the_dense_weights(tmp_path, toy, dense_run, method, tol):
    reference, reference_run = dense_run
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        generator = train(toy, tmp_path / "run", eigensolver=method, cache="memory", **OPTIONS)
    # the eigenvectors carry relative residuals <= 1e-10 over eigenvalue gaps >= 1e-3 lambda_1 (operator);
    # the Gram route is exact to rounding
    _assert_same_weights(reference, generator, tol)
    for stage, dense in zip(_stages(tmp_path / "run"), _stages(reference_run)):
        assert stage["eigensolver"]["path"] == method and stage["eigensolver"]["passes"] >= 1
        assert len(stage["eigensolver"]["residuals"]) == stage["k"] + 1
        assert stage["eigensolver"]["operator_passes"] >= stage["eigensolver"]["passes"] + 2
        assert 0 < stage["phases"]["operator_passes"] <= stage["phases"]["solve"]
        assert stage["certificate"]["kind"] == "operator_bound"
        assert dense["constraint_value"] - 1e-12 <= stage["constraint_value"] <= 1 + 1e-6
        assert stage["certificate"]["lower"] <= stage["constraint_value"]
        assert stage["beta"] == pytest.approx(dense["beta"], rel=1e-10)


def test_operator_needs_a_pixel_cache(tmp_path, toy):
    with pytest.raises(ValueError, match="needs a pixel cache; got cache='none'"):
        train(toy, tmp_path / "run", eigensolver="operator", cache="none", **OPTIONS)


def eigen_paths(*args):
    return {r: eigen_path(method) for r, method in plan_eigensolvers(*args).items()}


def test_auto_paths_follow_the_plan():
    config = TrainConfig(resolutions=(16, 32, 64), k=(20, 40, 175)).record(np.zeros((1, 4, 4, 3), np.uint8))
    paths = eigen_paths(config, [16, 32, 64], 3, 10_000, "cpu", "auto")
    assert paths == {16: "dense", 32: "dense", 64: "operator"}
    assert eigen_paths(config, [64], 3, 2_000, "cpu", "auto") == {64: "gram"}
    assert eigen_paths(config, [64], 3, 10_000, "cpu", "none") == {64: "dense"}
    legacy = dict(config, mode="legacy", eigensolver="operator")
    assert eigen_paths(legacy, [64], 3, 10_000, "cpu", "auto") == {64: "dense"}


def _worker(rank, world, store, images, run):
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=world)
    try:
        train(images, run, eigensolver="operator", cache="memory", **OPTIONS)
    finally:
        dist.destroy_process_group()


def test_two_gloo_processes_through_the_operator_equal_one_dense(tmp_path, toy, dense_run):
    reference, _ = dense_run
    mp.spawn(_worker, args=(2, tmp_path / "store", toy, tmp_path / "run"), nprocs=2, join=True)
    _assert_same_weights(reference, load_generator(tmp_path / "run"), 1e-8)
    assert all(s["constraint_value"] <= 1 + 1e-6 and s["eigensolver"]["path"] == "operator"
               for s in _stages(tmp_path / "run"))


def test_beta_schedule_through_the_operator_keeps_the_dense_components(tmp_path, toy, dense_run):
    _, reference_run = dense_run
    # beta midway between lambda_k and lambda_(k+1) of the dense run: both paths keep the same k components
    beta = [(s["kept_eigenvalues"][-1] + s["next_eigenvalue"]) / 2 for s in _stages(reference_run)]
    options = dict(OPTIONS, k=None, beta=beta)
    dense = train(toy, tmp_path / "dense", eigensolver="dense", **options)
    operator = train(toy, tmp_path / "operator", eigensolver="operator", cache="memory", **options)
    assert [s["k"] for s in _stages(tmp_path / "operator")] == K
    assert all(s["constraint_value"] <= 1 + 1e-6 for s in _stages(tmp_path / "operator"))
    _assert_same_weights(dense, operator, 1e-8)


def test_the_operator_memory_is_checked_before_the_stage(tmp_path, toy, monkeypatch):
    # at d = 768, k + 1 = 17: 120 q d + 8 n d = 120 * 25 * 768 + 8 * 160 * 768 bytes = 3.3 MB > 1 MiB; the
    # stages at d = 48 and 192 (at most 0.7 MB) and the 161 kB pixel cache fit
    monkeypatch.setenv("CONVEXGAN_MAX_BYTES", "1M")
    with pytest.raises(ValueError, match=r"stage 2 \(16x16\): the 'operator' eigen-path at d = 768"):
        train(toy, tmp_path / "run", eigensolver="operator", cache="memory", **OPTIONS)
    assert len(_stages(tmp_path / "run")) == 2


def test_a_loose_eigen_solve_is_reported_not_hidden(tmp_path, toy, monkeypatch):
    from convexgan.exceptions import InaccurateSolutionWarning
    from convexgan.progressive.linalg import eigen

    solve = eigen.krylov_eigenpairs
    monkeypatch.setattr(eigen, "krylov_eigenpairs",
                        lambda A, k, **options: solve(A, k, **dict(options, tol=1e-4, tol_last=None)))
    with pytest.warns(InaccurateSolutionWarning, match=r"constraint value .* exceeds 1 \+ 1e-6"):
        train(toy, tmp_path / "run", eigensolver="operator", cache="memory", **OPTIONS)
    stages = _stages(tmp_path / "run")
    assert max(s["constraint_value"] for s in stages) > 1 + 1e-6
    assert all(s["certificate"]["lower"] <= s["constraint_value"] for s in stages)
