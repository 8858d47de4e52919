"""Peak resident memory of one piece of work (a stage), not of the whole process so far.

The process's high-water mark (``getrusage`` ``ru_maxrss``) only grows, so read after each stage it repeats the
largest earlier peak; Linux can reset it (``/proc/self/clear_refs``) but that would also erase the peak every
other tool in the process measures. :class:`PeakSampler` instead reads the resident size (``/proc/self/statm``)
every ``interval`` seconds in a background thread while the work runs and keeps the largest value (scope
``'stage'``): an allocation shorter than the interval can be missed, so the value is a lower bound of the
stage's true peak, exact for the long-lived arrays a stage holds. Where ``/proc`` is missing (not Linux) it
reports the process's peak since start (scope ``'process'``).
"""

import os
import resource
import sys
import threading
from pathlib import Path

STATM = Path("/proc/self/statm")


def resident_bytes():
    """Current resident memory of this process in bytes, or ``None`` without ``/proc``."""
    try:
        return int(STATM.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def process_peak_bytes():
    """The process's peak resident memory since it started (``ru_maxrss``; kB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class PeakSampler:
    """Context manager: the largest resident memory seen while the block runs (see the module docstring).

    Attributes (after the block)
    ----------------------------
    peak : int
        Bytes.
    scope : {'stage', 'process'}
    """

    def __init__(self, interval=0.01):
        self.interval = interval
        self.peak, self.scope = 0, "stage"
        self._stop = threading.Event()
        self._thread = None

    def _sample(self):
        current = resident_bytes()
        if current is not None:
            self.peak = max(self.peak, current)

    def _run(self):
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self):
        if resident_bytes() is None:
            self.scope = "process"
            return self
        self._sample()
        self._thread = threading.Thread(target=self._run, name="convexgan-peak-memory", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        if self._thread is None:
            self.peak = process_peak_bytes()
            return False
        self._stop.set()
        self._thread.join()
        self._sample()
        return False
