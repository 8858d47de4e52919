"""Run folders: resume gives identical weights, checkpoints are safe, damaged or foreign ones are named."""

import json

import numpy as np
import pytest

import convexgan.progressive.trainer as trainer
from convexgan.progressive import load_generator, train
from convexgan.progressive.runs.checkpoint import FORMAT, load_stage

from conftest import checkpoint_arrays

ARGS = {"resolutions": [2, 4, 8], "k": [4, 10, 16], "latent": 8, "progress": False}


@pytest.mark.filterwarnings("ignore::convexgan.progressive.RankDefectWarning")
@pytest.mark.parametrize("mode", ["principled", "legacy"])
def test_resume_after_a_crash_gives_identical_weights(tmp_path, toy, mode, monkeypatch):
    full = tmp_path / "full"
    train(toy, full, mode=mode, seed=3, **ARGS)
    solve = trainer._solve_stage

    def crash_at_stage_2(i, *args, **kwargs):
        if i == 2:
            raise KeyboardInterrupt("simulated crash")
        return solve(i, *args, **kwargs)

    crashed = tmp_path / "crashed"
    monkeypatch.setattr(trainer, "_solve_stage", crash_at_stage_2)
    with pytest.raises(KeyboardInterrupt):
        train(toy, crashed, mode=mode, seed=3, **ARGS)
    assert sorted(p.name for p in crashed.glob("stage*.npz")) == ["stage00_2x2.npz", "stage01_4x4.npz"]
    monkeypatch.setattr(trainer, "_solve_stage", solve)
    with pytest.raises(ValueError, match="already holds a run"):
        train(toy, crashed, mode=mode, seed=3, **ARGS)
    train(toy, crashed, mode=mode, seed=3, resume=True, **ARGS)
    a, b = checkpoint_arrays(full), checkpoint_arrays(crashed)
    assert a.keys() == b.keys() and len(a) == 3
    for name in a:
        for key in a[name]:
            np.testing.assert_array_equal(a[name][key], b[name][key], err_msg=f"{name}:{key}")
    report = json.loads((crashed / "report.json").read_text())
    assert [s["index"] for s in report["stages"]] == [0, 1, 2]
    np.testing.assert_array_equal(load_generator(full).sample(4, seed=9), load_generator(crashed).sample(4, seed=9))


def test_resume_with_another_configuration_is_refused(tmp_path, toy):
    train(toy, tmp_path / "run", **ARGS)
    with pytest.raises(ValueError, match="differs in seed"):
        train(toy, tmp_path / "run", resume=True, seed=1, **ARGS)


def test_checkpoint_content_and_damaged_or_foreign_files(tmp_path, toy):
    run = tmp_path / "run"
    train(toy, run, seed=5, **ARGS)
    stage, meta = load_stage(run / "stage01_4x4.npz")
    assert meta["seed"] == 5 and meta["config"]["k"] == [4, 10, 16] and meta["package_version"]
    assert stage.resolution == 4 and stage.V.shape == (48, 10)
    assert not list(run.glob("*.tmp"))
    good = (run / "stage01_4x4.npz").read_bytes()
    (run / "stage01_4x4.npz").write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match="stage01_4x4.npz is corrupt"):
        load_generator(run)
    np.savez(run / "stage01_4x4.npz", weights=np.zeros(3))
    with pytest.raises(ValueError, match=f"not a convexgan progressive stage .format '{FORMAT}'"):
        load_generator(run)
    other = tmp_path / "other"
    train(toy, other, seed=6, **ARGS)
    (run / "stage01_4x4.npz").write_bytes((other / "stage01_4x4.npz").read_bytes())
    with pytest.raises(ValueError, match="belongs to another configuration"):
        load_generator(run)
    (run / "stage01_4x4.npz").write_bytes(good)
    assert load_generator(run).resolutions == [2, 4, 8]
