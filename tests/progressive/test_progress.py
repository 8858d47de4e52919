"""Live stages: the cost-weighted stages bar and one row per stage as it ends."""

import json

import pytest

from convexgan.progressive import train
from convexgan.progressive.runtime.progress import ITERATIVE_FACTOR, RowPrinter, StageBar, header, stage_cost, stage_weights


def test_stage_weights_follow_the_cost_model():
    dims = [12, 48, 192, 768]
    weights = stage_weights(dims, [4, 10, 16, 30], ["dense"] * 4, total=100.0)
    assert sum(weights) == pytest.approx(100.0, rel=1e-12)
    assert all(a < b for a, b in zip(weights, weights[1:]))  # monotone in d
    # dense: d^3, so each doubling of the resolution (d x 4) weighs 64 times more
    assert [b / a for a, b in zip(weights, weights[1:])] == pytest.approx([64.0] * 3, rel=1e-12)
    # iterative: a d^2 (k + 1), monotone in d and in k
    iterative = stage_weights([768, 3072, 3072], [40, 100, 175], ["eigsh"] * 3)
    assert sum(iterative) == pytest.approx(1.0, rel=1e-12) and iterative[0] < iterative[1] < iterative[2]
    assert stage_cost(3072, 100, "eigsh") == ITERATIVE_FACTOR * 3072**2 * 101
    # a beta schedule (k unknown) counts 32 pairs; k is capped at d
    dense, iterative = 12**3, ITERATIVE_FACTOR * 48**2 * 33
    assert stage_weights([12, 48], [None, None], ["dense", "eigsh"]) == pytest.approx(
        [dense / (dense + iterative), iterative / (dense + iterative)], rel=1e-12)
    assert stage_cost(48, min(10**6, 48), "eigsh") == stage_weights([48], [10**6], ["eigsh"], total=stage_cost(
        48, 48, "eigsh"))[0]

def test_stage_bar_advances_by_cost_and_names_the_stage(capsys):
    config = {"resolutions": [2, 4, 8, 16, 32], "k": [4, 10, 16, 30, 60], "eigensolver": "auto"}
    with StageBar([2, 3, 4], config, 3, ["dense", "dense", "eigsh"], enabled=True) as bar:
        expected = stage_weights([192, 768, 3072], [16, 30, 60], ["dense", "dense", "eigsh"], total=100.0)
        assert [bar.weights[i] for i in (2, 3, 4)] == pytest.approx(expected, rel=1e-12)
        bar.start(3)
        assert bar.bar.desc == "stages 4/5 16x16"
        for i in (2, 3, 4):
            bar.finish(i)
        assert bar.bar.n == pytest.approx(100.0, rel=1e-12)
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
