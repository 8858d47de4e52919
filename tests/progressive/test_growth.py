"""Growing a run: resolutions appended on --resume train only the new stages, as a one-go run would."""

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import checkpoint_arrays

from convexgan.cli import build_parser
from convexgan.exceptions import OptionError
from convexgan.progressive import TrainConfig, load_generator, train
from convexgan.progressive.config import default_k
from convexgan.progressive.runs.checkpoint import load_stage
from convexgan.progressive.runs.folder import read_config
from convexgan.progressive.runs.growth import (
    default_base,
    differences,
    extends,
    frame_side,
)

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
    train(toy, run, base_resolution=8, **SHORT, **COMMON)
    with pytest.raises(ValueError, match=r"cannot grow .* to 16x16: its frames were resized to its base resolution 8"
                                         r".*starts with the base resolution at least 16: train\("):
        train(toy, run, resume=True, **LONG, **COMMON)
    with pytest.raises(ValueError, match="differs in seed"):
        train(toy, run, resume=True, **SHORT, **{**COMMON, "seed": 3})
    with pytest.raises(ValueError, match=r"differs in k, resolutions \(.*resolutions: \[2, 4, 8\] -> \[2, 4\] \(a "
                                         r"resumed run may only append resolutions\)\)"):
        train(toy, run, resume=True, resolutions=[2, 4], k=[4, 10], base_resolution=8, **COMMON)
    with pytest.raises(OptionError, match=r"differs in base_resolution \(base_resolution: 8 -> 16 \(pass "
                                          r"base_resolution=8\)\)") as refused:
        train(toy, run, resume=True, base_resolution=16, **SHORT, **COMMON)
    assert refused.value.command_line.endswith("(base_resolution: 8 -> 16 (pass --base-resolution 8))")
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
    train(toy, run, base_resolution=8, **SHORT, **COMMON)  # as older versions did: the top resolution
    config = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({key: v for key, v in config.items() if key != "base_resolution"}))
    train(toy, run, resume=True, **SHORT, **COMMON)
    assert read_config(run) == config  # read in the current format: base 8, the largest resolution
    with pytest.raises(ValueError, match="its base resolution 8"):
        train(toy, run, resume=True, **LONG, **COMMON)


def test_default_base_is_the_largest_doubling_the_frames_allow():
    assert [default_base(32, 89), default_base(4, 89), default_base(64, 200), default_base(64, 1000)] == [64, 64, 128, 128]
    assert default_base(64, 40) == 64 and default_base(3, 50) == 48  # never below the top; doublings of the top
    assert frame_side(89, 109, "none") == 89 and frame_side(89, 109, "center") == 89
    assert frame_side(178, 218, "celeba") == 128  # the official box on the official frame


def test_a_default_run_grows_up_to_its_frames(tmp_path, toy):
    grown, one_go = tmp_path / "grown", tmp_path / "one_go"
    train(toy, grown, **SHORT, **COMMON)  # toy frames are 16 x 16: base 16 by default
    assert read_config(grown)["base_resolution"] == 16
    train(toy, grown, resume=True, **LONG, **COMMON)
    train(toy, one_go, **LONG, **COMMON)
    a, b = checkpoint_arrays(grown), checkpoint_arrays(one_go)
    assert list(a) == list(b) and len(a) == 4
    for name in a:  # same pixels, moments and arithmetic: bit for bit
        for key in a[name]:
            if key != "config":
                np.testing.assert_array_equal(a[name][key], b[name][key], err_msg=f"{name}:{key}")
    with pytest.raises(OptionError, match=r"cannot grow .* to 32x32: .*base resolution 16 .* train\(.*"
                                          r"resolutions=\[2, 4, 8, 16, 32\], base_resolution=32.*seed=2") as refused:
        train(toy, grown, resume=True, resolutions=[2, 4, 8, 16, 32], k=[4, 10, 16, 30, 40], **COMMON)
    assert "--out NEW --resolutions 2 4 8 16 32 --base-resolution 32 --k 4 10 16 30 40" in refused.value.command_line
    assert "--seed 2" in refused.value.command_line and "base_resolution=" not in refused.value.command_line


CELEBA = Path("/work/shared/data/celeba10k_89x109.tar")


@pytest.mark.skipif(not CELEBA.is_file(), reason=f"{CELEBA} is absent")
@pytest.mark.filterwarnings("ignore::convexgan.exceptions.SquashedFramesWarning")
def test_a_default_celeba_run_grows_from_32_to_64(tmp_path):
    # 96 images and the n x n Gram eigen-path keep it fast; the base resolution is the default under test
    options = {"n_images": 96, "k": [8, 12, 16, 24], "latent": 8, "seed": 1, "eigensolver": "gram",
               "progress": False}
    grown, one_go = tmp_path / "grown", tmp_path / "one_go"
    train(CELEBA, grown, resolutions=[4, 8, 16, 32], **options)
    assert read_config(grown)["base_resolution"] == 64  # 89 x 109 frames
    longer = {**options, "k": [8, 12, 16, 24, 32]}
    train(CELEBA, grown, resolutions=[4, 8, 16, 32, 64], resume=True, **longer)
    train(CELEBA, one_go, resolutions=[4, 8, 16, 32, 64], **longer)
    a, b = checkpoint_arrays(grown), checkpoint_arrays(one_go)
    assert list(a) == list(b) and len(a) == 5
    for name in a:
        for key in a[name]:
            if key != "config":
                np.testing.assert_array_equal(a[name][key], b[name][key], err_msg=f"{name}:{key}")


def test_default_k_continues_past_five_stages():
    official = [20, 30, 40, 100, 175]
    # geometric continuation of the last official ratio 175 / 100: 175 * 1.75 = 306.25, 175 * 1.75**2 = 535.9
    assert default_k(6) == official + [306] and default_k(7) == official + [306, 536]
    assert default_k(3) == official[:3]
    record = TrainConfig(resolutions=[4, 8, 16, 32, 64, 128]).record("x")  # what config.json records
    assert record["k"] == official + [306]
    help_text = " ".join(build_parser()._subparsers._group_actions[0].choices["train"].format_help().split())
    assert "past five stages round(175 * 1.75^(t - 5)) at stage t: 306 536" in help_text
