r"""Seconds per phase of a training run (decode, moments, eigen-solve, certificate, sampling, checkpoint).

A :class:`Phases` object adds up wall-clock seconds by name. Code deep inside a stage records into the one
that is active without receiving it as an argument::

    with recording(phases):          # the trainer, around a stage
        ...
        with phase("eigen_solve"):   # anywhere below, e.g. in the stage solver
            ...

Outside :func:`recording`, :func:`phase` measures nothing. Phases nest: an inner phase's seconds are also
part of the outer one's, so only phases recorded at the same level add up to (at most) their parent's time.
"""

import contextvars
import time
from collections.abc import Iterator
from contextlib import contextmanager

_ACTIVE: "contextvars.ContextVar[Phases | None]" = contextvars.ContextVar("convexgan_phases", default=None)


class Phases:
    """Wall-clock seconds added up by phase name (``.seconds``: ``{name: float}``, in first-recorded order)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def add(self, name: str, seconds: float) -> None:
        """Add ``seconds`` to phase ``name``."""
        self.seconds[name] = self.seconds.get(name, 0.0) + float(seconds)

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        """Time the block into phase ``name``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - start)


@contextmanager
def recording(phases: Phases) -> Iterator[Phases]:
    """Make ``phases`` the target of :func:`phase` inside the block; yield it."""
    token = _ACTIVE.set(phases)
    try:
        yield phases
    finally:
        _ACTIVE.reset(token)


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Time the block into phase ``name`` of the active :class:`Phases` (no-op when none is active)."""
    active = _ACTIVE.get()
    if active is None:
        yield
        return
    with active(name):
        yield
