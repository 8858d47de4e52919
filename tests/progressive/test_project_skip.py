"""``convexgan project --skip N`` decodes only the images it projects (and the one that tells the source's mode)."""

import re

import numpy as np

import convexgan.data.folder as folder_module
from convexgan.cli import main
from convexgan.data import load_images
from convexgan.progressive import load_generator, project, train


def test_project_skip_does_not_decode_the_skipped_images(tmp_path, toy_folder, monkeypatch, capsys):
    run = tmp_path / "run"
    train(toy_folder, run, resolutions=(4, 8), k=(3, 5), progress=False, cache="none")
    decoded = []
    decode = folder_module.decode_image

    def counted(*args, **kwargs):
        decoded.append(args[1])
        return decode(*args, **kwargs)

    monkeypatch.setattr(folder_module, "decode_image", counted)
    npy = tmp_path / "z.npy"
    assert main(["project", str(run), str(toy_folder), "--out", str(tmp_path / "p.png"), "--n", "3", "--skip", "150",
                 "--npy", str(npy)]) == 0
    names = sorted(str(p) for p in toy_folder.iterdir())
    # The first image once (the source reads it to know its mode), then the three projected ones, nothing between.
    assert decoded == [names[0], *names[150:153]]
    rows = re.findall(r"^\s+(\d+)\s+[\d.]+\s+[\d.]+$", capsys.readouterr().out, re.MULTILINE)
    assert [int(r) for r in rows] == [150, 151, 152]
    images = load_images(toy_folder, 8, n_images=153, subset="first", base=8)[150:]  # independently: all decoded
    np.testing.assert_allclose(np.load(npy), project(load_generator(run), images).latents, rtol=1e-12, atol=1e-12)
    assert main(["project", str(run), str(toy_folder), "--out", str(tmp_path / "q.png"), "--skip", "160"]) == 1
    assert "no image after --skip=160 (160 images)" in capsys.readouterr().err
