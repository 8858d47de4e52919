"""The trainer on a CUDA device against the same run on the CPU (marked ``cuda``; skipped without a GPU).

Run them alone with ``pytest -m cuda tests`` (``benchmarks/gpu_check.py`` does, first). The oracle is the CPU run:
the closed form is deterministic, so the stage weights on the GPU equal the CPU's up to the float32/float64
rounding of the path, and every stage's certificate stays within the documented 1 + 1e-6.
"""

import numpy as np
import pytest
import torch
from conftest import checkpoint_arrays

from convexgan.progressive import load_generator, train

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (torch.cuda.is_available() is False)"),
]


@pytest.mark.parametrize("eigensolver, dtype, rtol", [("dense", "float64", 1e-9), ("operator", "float64", 1e-7),
                                                       ("dense", "float32", 1e-3)])
def test_cuda_run_equals_cpu_run(tmp_path, toy_folder, eigensolver, dtype, rtol):
    options = {"resolutions": [4, 8, 16], "k": [6, 10, 14], "eigensolver": eigensolver, "dtype": dtype,
               "progress": False}
    train(toy_folder, tmp_path / "cpu", device="cpu", **options)
    train(toy_folder, tmp_path / "cuda", device="cuda", **options)
    cpu, gpu = checkpoint_arrays(tmp_path / "cpu"), checkpoint_arrays(tmp_path / "cuda")
    assert cpu.keys() == gpu.keys()
    for name in cpu:
        for key, value in cpu[name].items():
            if np.issubdtype(value.dtype, np.floating) and value.size > 1:
                scale = float(np.abs(value).max()) or 1.0
                assert np.abs(gpu[name][key] - value).max() <= rtol * scale, (name, key)


def test_cuda_samples_equal_cpu_samples(tmp_path, toy_folder):
    train(toy_folder, tmp_path / "run", resolutions=[4, 8], k=[6, 10], device="cuda", progress=False)
    generator = load_generator(tmp_path / "run")
    cpu = generator.sample(16, seed=3)
    gpu = generator.sample(16, seed=3, device="cuda")
    np.testing.assert_allclose(gpu, cpu, rtol=0, atol=1e-5)
