"""``convexgan evaluate`` end to end on a tiny progressive run trained on generated images, with a mocked extractor."""

import json
import re
import warnings

import numpy as np
import pytest

for _module in ("torch", "PIL"):
    pytest.importorskip(_module, reason=f"{_module} is not installed; the trainer tests need pip install 'convexgan[train]'")

from convexgan.cli import main  # noqa: E402
from convexgan.progressive.evaluation import real_halves  # noqa: E402
from convexgan.data import toy_images  # noqa: E402
from convexgan.exceptions import ConvexGANWarning, TrainingImagesWarning  # noqa: E402
from convexgan.metrics import (  # noqa: E402
    SampleSizeWarning, bures_wasserstein_samples, fid, moment_errors, sliced_wasserstein_pyramid,
)
from convexgan.metrics.extractors import load_extractor  # noqa: E402
from convexgan.progressive import load_generator, train  # noqa: E402


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("evaluate")
    data = folder / "toy.npz"
    np.savez(data, x=toy_images(48, size=8, seed=0))
    train(data, folder / "run", resolutions=(4, 8), k=(3, 5), progress=False)
    return folder / "run", data


def test_halves_are_disjoint_real_images():
    images = np.arange(10, dtype=np.uint8)[:, None, None, None] * np.ones((1, 4, 4, 3), np.uint8) * 20
    a, b, draw = real_halves(images, [4], 4, seed=1)  # 8 of the 10 drawn at random
    ids_a, ids_b = set(np.round(a[4][:, 0, 0, 0] * 255 / 20)), set(np.round(b[4][:, 0, 0, 0] * 255 / 20))
    assert len(ids_a) == len(ids_b) == 4 and not ids_a & ids_b and ids_a | ids_b == set(draw["indices"])
    assert len(draw["indices"]) == 8 and draw["training_images"] == 0 and draw["unseen"] == 10
    a, b, draw = real_halves(images, [4], 4, seed=1, subset="first", skip=3)  # 7 images left: halves of 3
    ids_a, ids_b = set(np.round(a[4][:, 0, 0, 0] * 255 / 20)), set(np.round(b[4][:, 0, 0, 0] * 255 / 20))
    assert len(ids_a) == len(ids_b) == 3 and not ids_a & ids_b and ids_a | ids_b <= set(range(3, 10))


def test_evaluate_end_to_end(tiny_run, tiny_file, tmp_path, capsys):
    run, data = tiny_run
    out = tmp_path / "metrics.json"
    argv = ["evaluate", str(run), str(data), "--n", "20", "--extractor", str(tiny_file), "--trust-extractor",
            "--json", str(out)]
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        assert main(argv) == 0  # the run trained on all 48 images: none is left unseen
    assert not [w for w in shown if issubclass(w.category, ConvexGANWarning)]  # printed once, under the table
    printed = capsys.readouterr()
    table = printed.out
    assert re.search("warning: only 0 of the 48 images .* uses 40 training image", table)
    assert "only 0 of the 48 images" not in printed.err
    assert "real half B (floor)" in table and "FID" in table and "N = 20 is below the dimension" in table
    result = json.loads(out.read_text())
    assert [s["resolution"] for s in result["stages"]] == [4, 8]
    assert result["extractor"]["name"] == "torchscript:tiny.pt (return_features=True)"

    # the generated row at 8x8 recomputed independently from the run's samples and the same real half A
    stage = result["stages"][1]
    samples = load_generator(run).sample(20, seed=0, stage=1)
    with pytest.warns(TrainingImagesWarning):
        half_a, half_b, draw = real_halves(data, [4, 8], 20, seed=0, used=range(48))
    assert draw["indices"] == result["real_images"]["indices"]
    G, X = samples.reshape(20, -1), half_a[8].reshape(20, -1)
    report = json.loads((run / "report.json").read_text())
    assert stage["beta"] == pytest.approx(report["stages"][1]["beta"], rel=1e-12)
    err = moment_errors(G, X, beta=stage["beta"], center=X.mean(0, dtype=np.float64))
    assert stage["generated"]["constraint_value"] == pytest.approx(err.constraint_value, rel=1e-9)
    assert stage["generated"]["second_moment_error"] == pytest.approx(err.second_moment_error, rel=1e-9)
    with pytest.warns(SampleSizeWarning):
        assert stage["real_b"]["bures_w2"] == pytest.approx(
            bures_wasserstein_samples(half_b[8].reshape(20, -1), X), rel=1e-9
        )
    swd = sliced_wasserstein_pyramid(half_a[8], samples, seed=0)
    assert stage["generated"]["swd_x1e3"] == pytest.approx(1e3 * swd.average, rel=1e-9)
    expected_fid = fid(half_a[8], samples, load_extractor(tiny_file), progress=False).value
    assert stage["generated"]["fid"] == pytest.approx(expected_fid, rel=1e-9)
    assert result["stages"][0]["generated"]["swd_x1e3"] is None  # 4x4 is smaller than a 7x7 neighbourhood

    # same seed, same numbers
    again = tmp_path / "again.json"
    assert main(argv[:-1] + [str(again)]) == 0
    assert json.loads(again.read_text())["stages"] == result["stages"]


def test_missing_extractor_file_is_a_clear_error(tiny_run, tmp_path, capsys):
    run, data = tiny_run
    assert main(["evaluate", str(run), str(data), "--extractor", str(tmp_path / "inception.pt"), "--trust-extractor"]) == 1
    assert "never downloads" in capsys.readouterr().err
