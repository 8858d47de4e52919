"""Two gloo processes equal one in the default float32 mode: S_X bit for bit, the stages to eigen-solver rounding.

The moments are exact integer sums all-reduced exactly (issue 25 item 5), so the split cannot change them; the
stages are then the same float64 eigen-solve of the same matrix.
"""

import json

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from convexgan.data import open_images
from convexgan.progressive import accumulate_moments, load_generator, train

RESOLUTIONS = [2, 4, 8]
K = [4, 10, 16]


def _worker(rank, world, store, images, moments_file, run):
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=world)
    try:
        moments = accumulate_moments(open_images(images), RESOLUTIONS, dtype=torch.float32, chunk_size=7)
        if rank == 0:
            np.savez(moments_file, **{f"{key}{r}": getattr(m, key).numpy() for r, m in moments.items()
                                      for key in ("mean", "second")})
        train(images, run, resolutions=RESOLUTIONS, k=K, latent=8, progress=False, cache="disk")
    finally:
        dist.destroy_process_group()


def test_two_gloo_processes_equal_one_in_float32_mode(tmp_path, toy):
    moments_file, run = tmp_path / "moments.npz", tmp_path / "run"
    mp.spawn(_worker, args=(2, tmp_path / "store", toy, moments_file, run), nprocs=2, join=True)
    single = accumulate_moments(open_images(toy), RESOLUTIONS, dtype=torch.float32, chunk_size=50)
    with np.load(moments_file) as parallel:
        for r, m in single.items():
            assert np.array_equal(parallel[f"mean{r}"], m.mean.numpy())
            assert np.array_equal(parallel[f"second{r}"], m.second.numpy())
    reference = train(toy, tmp_path / "single", resolutions=RESOLUTIONS, k=K, latent=8, progress=False)
    generator = load_generator(run)
    reports = [json.loads((folder / "report.json").read_text())["stages"] for folder in (run, tmp_path / "single")]
    for i in range(len(RESOLUTIONS)):
        assert reports[0][i]["beta"] == reports[1][i]["beta"]  # lambda_(k+1) of the same matrix
        F1, _ = reference.affine_map(i)
        F2, _ = generator.affine_map(i)
        S1, S2 = (F1.T @ F1).numpy(), (F2.T @ F2).numpy()
        # the same eigen-solve of the same S_X; S_G = F^T F differs only by the rounding of the products
        assert np.abs(S2 - S1).max() <= 1e-13 * np.abs(S1).max()
        norms = [float(g.stages[i].B.norm()) for g in (generator, reference)]
        assert abs(norms[0] / norms[1] - 1) < 1e-12
