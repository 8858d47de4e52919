"""``--device auto|cpu|cuda|cuda:N``: the spelling, the GPU index against torch.cuda.device_count(), the CLI."""

import pytest
import torch

from convexgan._validation import check_device
from convexgan.cli import main
from convexgan.progressive import load_generator
from convexgan.progressive.runtime.device import resolve_device


@pytest.mark.parametrize("text", ["auto", "cpu", "cuda", "cuda:0", "cuda:12"])
def test_device_spellings_are_accepted(text):
    assert check_device(text) == text


@pytest.mark.parametrize("text", ["gpu", "cuda:", "cuda:x", "cuda:-1", "cpu:0", "auto:1", "CUDA", "cuda:1:2"])
def test_misspelt_devices_name_the_value(text):
    with pytest.raises(ValueError, match=rf"device='{text}' must be one of 'auto', 'cpu', 'cuda' or 'cuda:N'"):
        check_device(text)


def test_cpu_and_auto_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("cpu") == torch.device("cpu") and resolve_device("auto") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    with pytest.raises(RuntimeError, match=r"device='cuda:0' was requested but torch.cuda.is_available\(\) is False"):
        resolve_device("cuda:0")


def test_gpu_index_is_checked_against_the_device_count(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert resolve_device("cuda:1") == torch.device("cuda", 1)
    assert resolve_device("cuda") == torch.device("cuda")
    with pytest.raises(ValueError, match=r"--device='cuda:2' names GPU 2, but torch.cuda.device_count\(\) is 2 "
                                         r"\(valid: cuda:0, cuda:1\)"):
        resolve_device("cuda:2", "--device")


def test_sample_refuses_a_missing_gpu(monkeypatch, tmp_path, toy_folder, capsys):
    run = tmp_path / "run"
    assert main(["train", str(toy_folder), "--out", str(run), "--resolutions", "4", "--k", "3", "--latent", "4",
                 "--quiet"]) == 0
    with pytest.raises(SystemExit):
        main(["sample", str(run), "--out", str(tmp_path / "s.png"), "--device", "cuda:x"])
    assert "--device='cuda:x' must be one of" in capsys.readouterr().err
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert main(["sample", str(run), "--out", str(tmp_path / "s.png"), "--device", "cuda:3"]) == 1
    assert "--device='cuda:3' names GPU 3, but torch.cuda.device_count() is 1" in capsys.readouterr().err
    with pytest.raises(ValueError, match="device='cuda:1' names GPU 1"):
        load_generator(run).sample(2, device="cuda:1")
    assert main(["sample", str(run), "--n", "2", "--out", str(tmp_path / "s.png"), "--device", "cpu"]) == 0


def test_train_checks_the_gpu_index_before_reading_data(monkeypatch, tmp_path, toy_folder, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert main(["train", str(toy_folder), "--out", str(tmp_path / "run"), "--resolutions", "4", "--k", "3",
                 "--device", "cuda:2", "--quiet"]) == 1
    assert "names GPU 2, but torch.cuda.device_count() is 2 (valid: cuda:0, cuda:1)" in capsys.readouterr().err
    assert not (tmp_path / "run" / "report.json").exists()
