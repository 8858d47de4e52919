"""Per-stage seeds: the randomness of stage ``i`` derives from ``(seed, i)`` only (resume-safe)."""

import numpy as np


def stage_seed(seed, index):
    """Seed of stage ``index``'s randomness, derived from ``(seed, index)`` only."""
    return int(np.random.SeedSequence([int(seed), int(index)]).generate_state(1)[0])
