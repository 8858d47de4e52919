"""End-to-end `convexgan train` / `convexgan sample` on generated images and on the shared CelebA and MNIST."""

import json

import numpy as np
import pytest
from PIL import Image

from convexgan.cli import main
from convexgan.data import load_images
from convexgan.progressive import load_generator


def check_report(run, n_images, ks):
    report = json.loads((run / "report.json").read_text())
    assert report["n_images"] == n_images
    assert [s["k"] for s in report["stages"]] == ks
    for s in report["stages"]:
        assert s["constraint_value"] <= 1 + 1e-6
        assert (run / f"samples_stage{s['index']:02d}_{s['resolution']}x{s['resolution']}.png").is_file()
    return report


def test_train_and_sample_on_generated_images(tmp_path, toy_folder, capsys):
    run = tmp_path / "run"
    assert main(["train", str(toy_folder), "--out", str(run), "--resolutions", "4", "8", "--k", "5", "9",
                 "--latent", "8", "--quiet"]) == 0
    report = check_report(run, 160, [5, 9])
    assert "||S_X-S_G||/beta" in capsys.readouterr().out
    assert json.loads((run / "config.json").read_text())["mode"] == "principled"
    png, npy = tmp_path / "s.png", tmp_path / "s.npy"
    assert main(["sample", str(run), "--n", "9", "--out", str(png), "--npy", str(npy), "--seed", "4"]) == 0
    np.testing.assert_array_equal(np.load(npy), load_generator(run).sample(9, seed=4))
    assert Image.open(png).size == (3 * 65 - 1, 3 * 65 - 1)
    assert main(["sample", str(run), "--n", "4", "--out", str(png), "--match-histograms", str(toy_folder)]) == 0
    assert "post-processing" in capsys.readouterr().out
    assert (tmp_path / "s_histmatched.png").is_file()
    assert report["skipped_images"] == 0
    assert main(["train", str(toy_folder), "--out", str(tmp_path / "draft"), "--resolutions", "4", "--k", "5",
                 "--latent", "8", "--jpeg-draft", "--cache", "none", "--quiet"]) == 0
    assert json.loads((tmp_path / "draft" / "config.json").read_text())["jpeg_draft"] is True
    assert check_report(tmp_path / "draft", 160, [5])["data_passes"][0]["cache"]["mode"] == "none"


def test_corrupt_images_are_counted_or_stop_the_run(tmp_path, toy_folder, capsys):
    folder = tmp_path / "imgs"
    folder.mkdir()
    for path in sorted(toy_folder.iterdir())[:30]:
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "000005.png").write_bytes(b"garbage")
    (folder / "zzz.jpg").write_bytes(b"\xff\xd8\xff garbage")
    argv = ["train", str(folder), "--resolutions", "4", "--k", "3", "--latent", "4", "--quiet"]
    with pytest.warns(UserWarning, match="skipped 2 unreadable image"):
        assert main(argv + ["--out", str(tmp_path / "run")]) == 0
    assert check_report(tmp_path / "run", 29, [3])["skipped_images"] == 2
    capsys.readouterr()
    assert main(argv + ["--out", str(tmp_path / "strict"), "--strict"]) == 1
    assert "000005.png" in capsys.readouterr().err


def test_train_on_shared_celeba(tmp_path, shared_file):
    path = shared_file("celeba10k_89x109.tar")
    run = tmp_path / "celeba"
    assert main(["train", str(path), "--out", str(run), "--resolutions", "4", "8", "16", "--k", "10", "20", "30",
                 "--n-images", "300", "--workers", "2", "--cache", "disk", "--quiet"]) == 0
    report = check_report(run, 300, [10, 20, 30])
    (data_pass,) = report["data_passes"]
    assert data_pass["workers"] == 2 and data_pass["cache"]["mode"] == "disk" and data_pass["jpeg_draft"] is False
    assert (run / "pixels_rank0of1.json").is_file() and json.loads((run / "config.json").read_text())["jpeg_draft"] is False
    # the default base resolution: the largest doubling of 16 that the 89 x 109 frames allow, 64
    X = load_images(path, 4, n_images=300, base=64).reshape(300, -1).astype(np.float64)
    lam = np.linalg.eigvalsh(np.cov(X.T, bias=True))[::-1]
    assert report["stages"][0]["beta"] == pytest.approx(lam[10], rel=1e-5)
    assert load_generator(run).sample(2, seed=0).shape == (2, 16, 16, 3)


def test_train_on_shared_mnist_in_legacy_mode(tmp_path, shared_file, capsys):
    path = shared_file("mnist.npz")
    run = tmp_path / "mnist"
    with pytest.warns(UserWarning, match="exceeds the numerical rank 5"):
        assert main(["train", str(path), "--out", str(run), "--resolutions", "4", "8", "--k", "4", "12",
                     "--latent", "8", "--n-images", "300", "--mode", "legacy", "--quiet"]) == 0
    report = json.loads((run / "report.json").read_text())
    assert report["stages"][1]["input"]["rank"] == 5 and report["stages"][1]["constraint_value"] > 1
    assert load_generator(run).sample(2, seed=0).shape == (2, 8, 8, 1)
