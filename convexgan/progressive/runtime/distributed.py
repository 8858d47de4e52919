"""Data-parallel helpers: this process's rank and a sum over processes (no-ops outside ``torch.distributed``).

Launch with ``torchrun --nproc_per_node P -m convexgan train ...`` (or call
``torch.distributed.init_process_group`` yourself, backend ``gloo`` on CPU, ``nccl`` on GPU) and every
process reads the images ``i`` with ``i % P == rank``; the moment sums are then added with ``all_reduce``.
"""

import os

import torch
import torch.distributed as dist


def world() -> tuple[int, int]:
    """Return ``(rank, world_size)``; ``(0, 1)`` when no process group is initialised."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def launched_by_torchrun() -> bool:
    """True when the environment of ``torchrun`` (``WORLD_SIZE`` > 1) is present."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init_from_environment(device: torch.device) -> None:
    """Initialise the default process group from ``torchrun``'s environment (gloo on CPU, NCCL on CUDA)."""
    if launched_by_torchrun() and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")


def all_reduce_sum(tensor: torch.Tensor) -> torch.Tensor:
    """Sum ``tensor`` over all processes, in place; return it."""
    if world()[1] > 1:
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def barrier() -> None:
    """Wait for every process (no-op in a single process)."""
    if world()[1] > 1:
        dist.barrier()
