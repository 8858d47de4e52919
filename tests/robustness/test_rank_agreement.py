"""Two gloo processes given different data refuse before any collective, each with one line naming the rank."""

import numpy as np
import torch.distributed as dist
import torch.multiprocessing as mp

from convexgan.progressive import train


def _worker(rank, store, run, messages):
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=2)
    images = np.random.default_rng(rank).integers(0, 256, (12, 8, 8, 3), dtype=np.uint8)
    try:
        train(images, run, resolutions=[2, 4], k=[2, 4], latent=4, dtype="float64", progress=False)
    except ValueError as err:
        (messages / f"rank{rank}").write_text(str(err))
    finally:
        if dist.is_initialized():  # the refusal ends the group itself
            dist.destroy_process_group()


def test_different_data_refused_on_both_ranks(tmp_path):
    messages = tmp_path / "messages"
    messages.mkdir()
    mp.spawn(_worker, args=(tmp_path / "store", tmp_path / "run", messages), nprocs=2, join=True)
    for rank in (0, 1):
        text = (messages / f"rank{rank}").read_text()
        assert "\n" not in text and text.startswith("rank 1: data fingerprint ") and "differs from rank 0's" in text
    assert not (tmp_path / "run" / "report.json").exists()
