"""Growing a run: resolutions appended on --resume train only the new stages, as a one-go run would."""

import json

import numpy as np
import pytest

from convexgan.progressive import TrainConfig, load_generator, train
from convexgan.progressive.runs.checkpoint import load_stage
from convexgan.progressive.runs.growth import differences, extends
from convexgan.progressive.runs.folder import read_config

SHORT = {"resolutions": [2, 4, 8], "k": [4, 10, 16]}
LONG = {"resolutions": [2, 4, 8, 16], "k": [4, 10, 16, 30]}
COMMON = {"latent": 8, "dtype": "float64", "seed": 2, "progress": False}
WEIGHTS = ("mean", "B", "V", "eigenvalues", "scale", "beta", "fresh", "ones", "resolution", "channels", "seed")


def weights(run):
    out = {}
    for path in sorted(run.glob("stage*.npz")):
        with np.load(path, allow_pickle=False) as f:
            out[path.name] = {key: f[key] for key in WEIGHTS}
    return out


def test_grown_run_equals_a_one_go_run(tmp_path, toy):
    grown, one_go = tmp_path / "grown", tmp_path / "one_go"
    train(toy, grown, base_resolution=16, **SHORT, **COMMON)
    before = weights(grown)
    train(toy, grown, resume=True, **LONG, **COMMON)
    train(toy, one_go, **LONG, **COMMON)
    a, b = weights(grown), weights(one_go)
    assert list(a) == ["stage00_2x2.npz", "stage01_4x4.npz", "stage02_8x8.npz", "stage03_16x16.npz"] == list(b)
    for name in before:  # the finished stages are kept, byte for byte
        for key in WEIGHTS:
            np.testing.assert_array_equal(a[name][key], before[name][key], err_msg=f"{name}:{key}")
    # Same pixels (base 16 in both), same moments, same earlier stages: equal to rounding. The arithmetic is
    # the same sequence of float64 operations, so 1e-12 (about 1e4 ulp of unit-scale entries) is a loose bound.
    for name in a:
        for key in WEIGHTS:
            np.testing.assert_allclose(a[name][key], b[name][key], rtol=0, atol=1e-12, err_msg=f"{name}:{key}")
    config = json.loads((grown / "config.json").read_text())
    assert config["resolutions"] == LONG["resolutions"] and config["base_resolution"] == 16
    report = json.loads((grown / "report.json").read_text())
    assert [s["index"] for s in report["stages"]] == [0, 1, 2, 3] and report["config"]["k"] == LONG["k"]
    np.testing.assert_array_equal(load_generator(grown).sample(5, seed=1), load_generator(one_go).sample(5, seed=1))
    # the finished checkpoints keep the short configuration; they load with the grown one but the new stage's
    # checkpoint does not belong to the short configuration
    short = {**config, "resolutions": SHORT["resolutions"], "k": SHORT["k"]}
    assert load_stage(grown / "stage00_2x2.npz", config)[1]["config"]["resolutions"] == SHORT["resolutions"]
    with pytest.raises(ValueError, match="belongs to another configuration"):
        load_stage(grown / "stage03_16x16.npz", short)


def test_refused_changes_are_still_refused(tmp_path, toy):
    run = tmp_path / "run"
    train(toy, run, **SHORT, **COMMON)  # base 8, the default
    with pytest.raises(ValueError, match=r"cannot grow .* to 16x16: its frames were resized to its base resolution 8"
                                         r".*start it with --base-resolution"):
        train(toy, run, resume=True, **LONG, **COMMON)
    with pytest.raises(ValueError, match="differs in seed"):
        train(toy, run, resume=True, **SHORT, **{**COMMON, "seed": 3})
    with pytest.raises(ValueError, match=r"differs in k, resolutions \(.*resolutions: \[2, 4, 8\] -> \[2, 4\] \(a "
                                         r"resumed run may only append resolutions\)\)"):
        train(toy, run, resume=True, resolutions=[2, 4], k=[4, 10], base_resolution=8, **COMMON)
    with pytest.raises(ValueError, match=r"differs in base_resolution \(base_resolution: 8 -> 16 \(pass "
                                         r"--base-resolution 8\)\)"):
        train(toy, run, resume=True, base_resolution=16, **SHORT, **COMMON)
    based = tmp_path / "based"
    train(toy, based, base_resolution=16, **SHORT, **COMMON)
    with pytest.raises(ValueError, match=r"differs in k \(k: \[4, 10, 16\] -> \[4, 11, 16, 30\]\)$"):
        train(toy, based, resume=True, resolutions=LONG["resolutions"], k=[4, 11, 16, 30], **COMMON)
    with pytest.raises(ValueError, match=r"differs in beta, k \(beta: null -> \[0.001, "):
        train(toy, based, resume=True, resolutions=LONG["resolutions"], beta=1e-3, **COMMON)
    assert sorted(p.name for p in based.glob("stage*.npz"))[-1] == "stage02_8x8.npz"
    assert json.loads((based / "config.json").read_text())["resolutions"] == SHORT["resolutions"]


def test_base_resolution_option_and_records_before_it():
    with pytest.raises(ValueError, match="base_resolution=4 must be at least the largest resolution 8"):
        TrainConfig(resolutions=[2, 4, 8], base_resolution=4)
    assert TrainConfig(resolutions=[2, 4, 8]).record("x")["base_resolution"] == 8
    # a record written before base_resolution existed used the largest resolution as its base
    old = {"resolutions": [2, 4], "k": [3, 5], "beta": None, "seed": 0, "mode": "principled"}
    assert extends(old, {**old, "base_resolution": 4})
    assert extends(old, {**old, "resolutions": [2, 4, 8], "k": [3, 5, 9], "base_resolution": 8}) is False
    assert extends({**old, "base_resolution": 8}, {**old, "resolutions": [2, 4, 8], "k": [3, 5, 9],
                                                   "base_resolution": 8})
    assert differences({**old, "base_resolution": 8}, {**old, "resolutions": [2, 4, 8], "k": [3, 5, 9],
                                                       "base_resolution": 8}) == []
    assert differences(old, {**old, "resolutions": [4, 8], "k": [3, 5], "seed": 1}) == ["base_resolution", "resolutions", "seed"]
    assert not extends(old, {**old, "k": [3, 6], "base_resolution": 4})


def test_a_run_recorded_before_base_resolution_resumes(tmp_path, toy):
    run = tmp_path / "run"
    train(toy, run, **SHORT, **COMMON)
    config = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({key: v for key, v in config.items() if key != "base_resolution"}))
    train(toy, run, resume=True, **SHORT, **COMMON)
    assert read_config(run) == config  # read in the current format: base 8, the largest resolution
    with pytest.raises(ValueError, match="its base resolution 8"):
        train(toy, run, resume=True, **LONG, **COMMON)
