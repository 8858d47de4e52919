"""Ranks agree on their data before any collective: each rank's facts are gathered and compared with rank 0's.

A data-parallel run sums moments over ranks, so every rank must hold the same data (fingerprint, number of
images, channels) and the same data options. Different data would be mixed in silently, and different shapes
end in a collective mismatch (SIGABRT in gloo). :func:`check_ranks_agree` gathers one small object per rank
(``all_gather_object``: the same collective on every rank whatever the facts) and raises the same kind of
one-line ``ValueError`` on every rank that differs, naming the rank, the fact and both values.
"""

from collections.abc import Mapping

import torch.distributed as dist


def check_ranks_agree(facts: Mapping[str, object]) -> None:
    """Raise ``ValueError`` on a rank whose ``facts`` differ from rank 0's (every rank raises when any rank differs, naming the first).

    Does nothing outside a process group or with one process.
    """
    if not dist.is_available() or not dist.is_initialized() or dist.get_world_size() < 2:
        return
    gathered: list[object] = [None] * dist.get_world_size()
    dist.all_gather_object(gathered, dict(facts))
    reference = gathered[0]
    assert isinstance(reference, dict)  # every rank gathered a dict
    for other, theirs in enumerate(gathered):
        assert isinstance(theirs, dict)
        differing = [name for name in reference if theirs.get(name) != reference[name]]
        if differing:
            name = differing[0]
            # Every rank refuses (none is left waiting in a collective); the group ends before the error, so that
            # gloo's threads do not abort the process at exit.
            dist.destroy_process_group()
            raise ValueError(f"rank {other}: {name} {str(theirs.get(name))[:80]} differs from rank 0's "
                             f"{str(reference[name])[:80]}; every rank must be given the same data and options")
