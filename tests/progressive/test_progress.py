"""Live stages: the cost-weighted stages bar and one row per stage as it ends."""

import json
import warnings

import pytest

from convexgan.progressive import train
from convexgan.progressive.runtime.progress import (
    BETA_K,
    COSTS,
    FIXED_SECONDS,
    TICKS,
    RowPrinter,
    StageBar,
    header,
    stage_cost,
    stage_weights,
)


def test_stage_cost_follows_each_paths_law():
    d, k, n = 3072, 100, 500
    assert stage_cost(d, k, "dense", n) == FIXED_SECONDS + COSTS["dense"] * d**3
    for method in ("eigsh", "lobpcg", "randomized"):
        assert stage_cost(d, k, method, n) == FIXED_SECONDS + COSTS["iterative"] * d**2 * (k + 1)
    assert stage_cost(d, k, "operator", n) == FIXED_SECONDS + COSTS["operator"] * n * d * (k + 1)
    assert stage_cost(d, k, "gram", n) == FIXED_SECONDS + COSTS["gram"] * (n**2 * d + n**3)
    with pytest.raises(ValueError, match="method='auto' must be a concrete eigen-solver"):
        stage_cost(d, k, "auto", n)
    weights = stage_weights([48, 192, 768], [20, None, 10**6], ["dense", "eigsh", "operator"], n, total=100.0)
    costs = [stage_cost(48, 20, "dense", n), stage_cost(192, BETA_K, "eigsh", n), stage_cost(768, 768, "operator", n)]
    assert weights == pytest.approx([100 * c / sum(costs) for c in costs], rel=1e-12)


def test_stage_bar_stays_in_range_and_names_the_stage(capsys):
    config = {"resolutions": [2, 4, 8, 16, 32], "k": [4, 10, 16, 30, 60], "eigensolver": "auto"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a TqdmWarning (clamping frac) would fail the test
        with StageBar([2, 3, 4], config, 3, ["dense", "dense", "eigsh"], 300, enabled=True) as bar:
            expected = stage_weights([192, 768, 3072], [16, 30, 60], ["dense", "dense", "eigsh"], 300)
            assert [bar.weights[i] for i in (2, 3, 4)] == pytest.approx(expected, rel=1e-12)
            bar.start(3)
            assert bar.bar.desc == "stages 4/5 16x16"
            seen = []
            for i in (2, 3, 4):
                bar.finish(i)
                seen.append(bar.bar.n)
                assert 0 <= bar.bar.n / bar.bar.total <= 1
            assert seen == sorted(seen) and seen[-1] == TICKS
            assert seen[0] == round(TICKS * expected[0])
    assert "stages 4/5 16x16:" in capsys.readouterr().err


def test_on_stage_is_called_as_each_stage_ends(tmp_path, toy, capsys):
    run, seen = tmp_path / "run", []

    def on_stage(info):
        # called once the stage's checkpoint exists and before the next stage is solved
        seen.append((info, sorted(p.name for p in run.glob("stage*.npz"))))

    train(toy, run, resolutions=[2, 4, 8], k=[4, 10, 16], latent=8, progress=False, on_stage=on_stage)
    assert [files for _, files in seen] == [["stage00_2x2.npz"], ["stage00_2x2.npz", "stage01_4x4.npz"],
                                            ["stage00_2x2.npz", "stage01_4x4.npz", "stage02_8x8.npz"]]
    report = json.loads((run / "report.json").read_text())["stages"]
    assert [info for info, _ in seen] == report
    printer = RowPrinter()
    for info in report:
        printer(info)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == header() and len(lines) == 4
    assert lines[3].split()[:4] == ["2", "8", "192", "16"] and lines[3].split()[6] == "dense"
    with pytest.raises(TypeError, match="on_stage must be a callable"):
        train(toy, tmp_path / "other", resolutions=[2], k=[3], on_stage="print")
