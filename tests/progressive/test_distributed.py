"""Data-parallel moments and training with torch.distributed (gloo, two CPU processes) equal one process;
each process caches its own share of the pixels."""

import json

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from convexgan.data import open_images
from convexgan.progressive import accumulate_moments, load_generator, train
from convexgan.progressive.pipeline.pixels import manifest_path, pixels_path

RESOLUTIONS = [2, 4, 8]
K = [4, 10, 16]


def _worker(rank, world, store, images, moments_file, run):
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=world)
    try:
        moments = accumulate_moments(open_images(images), RESOLUTIONS, dtype=torch.float64, chunk_size=7)
        if rank == 0:
            np.savez(moments_file, **{f"{key}{r}": getattr(m, key).numpy() for r, m in moments.items()
                                      for key in ("mean", "second")}, n=moments[8].n)
        train(images, run, resolutions=RESOLUTIONS, k=K, latent=8, dtype="float64", progress=False, cache="disk",
              on_stage=lambda info: (run.parent / f"on_stage_rank{rank}_{info['index']}").touch())
    finally:
        dist.destroy_process_group()


def test_two_gloo_processes_equal_one(tmp_path, toy):
    moments_file, run = tmp_path / "moments.npz", tmp_path / "run"
    mp.spawn(_worker, args=(2, tmp_path / "store", toy, moments_file, run), nprocs=2, join=True)
    single = accumulate_moments(open_images(toy), RESOLUTIONS, dtype=torch.float64, chunk_size=50)
    with np.load(moments_file) as parallel:
        assert int(parallel["n"]) == len(toy)
        for r, m in single.items():
            np.testing.assert_allclose(parallel[f"mean{r}"], m.mean.numpy(), rtol=0, atol=1e-14)
            np.testing.assert_allclose(parallel[f"second{r}"], m.second.numpy(), rtol=0, atol=1e-14)
    assert sorted(p.name for p in tmp_path.glob("on_stage_*")) == [f"on_stage_rank0_{i}" for i in range(3)]
    reference = train(toy, tmp_path / "single", resolutions=RESOLUTIONS, k=K, latent=8, dtype="float64",
                      progress=False)
    parallel_generator = load_generator(run)
    everything = np.concatenate([c[8] for c in open_images(toy).iter_chunks([8], dtype=np.uint8)])
    for rank in (0, 1):  # each process cached its own share, items i with i % 2 == rank
        assert json.loads(manifest_path(run, rank, 2).read_text())["n"] == len(toy) // 2
        share = np.fromfile(pixels_path(run, rank, 2, 8), np.uint8).reshape(len(toy) // 2, -1)
        np.testing.assert_array_equal(share, everything[rank::2].reshape(len(toy) // 2, -1))
    for i in range(len(RESOLUTIONS)):
        F1, _ = reference.affine_map(i)
        F2, _ = parallel_generator.affine_map(i)
        np.testing.assert_allclose((F2.T @ F2).numpy(), (F1.T @ F1).numpy(), atol=1e-12)
        norms = [float(g.stages[i].B.norm()) for g in (parallel_generator, reference)]
        assert abs(norms[0] / norms[1] - 1) < 1e-9
