r"""Peak memory per stage: the resident set's high-water mark, reset before each stage where Linux allows it.

On Linux, writing ``5`` to ``/proc/self/clear_refs`` resets the kernel's peak resident set size (``VmHWM`` in
``/proc/self/status``) to the current one, so reading ``VmHWM`` after a stage gives that stage's peak
(scope ``'stage'``). Where the reset is refused (another system, a restricted container) the only number is
the process's peak since it started (``ru_maxrss``, scope ``'process'``), which a stage that allocates less than
an earlier one does not change. The CUDA peak is reset per stage with ``torch.cuda.reset_peak_memory_stats``.

The reset also resets ``ru_maxrss`` (Linux derives both from the same high-water mark), so after a training the
process's own ``getrusage`` says only the peak since the last stage began; the trainer records the run's peak
(the high-water mark before its first reset and every stage's peak, the largest) in ``report.json``.
"""

import resource
import sys
from pathlib import Path

CLEAR_REFS = Path("/proc/self/clear_refs")
STATUS = Path("/proc/self/status")


def reset_peak() -> bool:
    """Reset the kernel's peak resident set size of this process; ``True`` when it was reset."""
    try:
        CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return high_water_mark() is not None


def high_water_mark() -> int | None:
    """``VmHWM`` of ``/proc/self/status`` in bytes (``None`` where there is none)."""
    try:
        for line in STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def process_peak() -> int:
    """Peak resident set size of the process since it started, in bytes (``ru_maxrss``)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def peak_since(was_reset: bool) -> tuple[int, str]:
    """``(bytes, scope)``: the peak since :func:`reset_peak` (``'stage'``) or the process peak (``'process'``)."""
    if was_reset:
        value = high_water_mark()
        if value is not None:
            return value, "stage"
    return process_peak(), "process"
