"""Error-against-time figure of the baselines, with the closed form's time marked.

The figure is a :class:`matplotlib.figure.Figure` drawn without pyplot, so that plotting neither selects nor
changes the user's matplotlib backend; matplotlib (the ``plots`` extra) is imported on the first plot.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from convexgan._extras import require
from convexgan._files import atomic_write

if TYPE_CHECKING:
    from convexgan.baselines.loop import History


def plot_error_vs_time(histories: Sequence[History], path: str | os.PathLike[str], *, metric: str = "relative_error",
                       tol: float | None = None, exact_seconds: float | None = None, title: str | None = None) -> None:
    """Save a PNG of ``metric`` against training seconds (log-log), one line per history.

    Parameters
    ----------
    histories : list of History
    path : str or Path
        Output PNG, written atomically (an existing file is replaced only by a complete new one).
    metric : str
        Key of the logged metrics.
    tol : float, optional
        Draw the tolerance as a horizontal line.
    exact_seconds : float, optional
        Draw the closed form's time as a vertical line.
    title : str, optional
    """
    Figure = require("plots", "matplotlib.figure", user=__name__).Figure
    figure = Figure(figsize=(6.4, 4.2))
    axes = figure.subplots()
    for history in histories:
        points = [(s, v) for s, v in zip(history.seconds, history.metrics[metric]) if s > 0 and v > 0]
        if points:
            seconds, values = zip(*points)
            axes.plot(seconds, values, label=history.method + (" (diverged)" if history.diverged else ""))
    if tol is not None:
        axes.axhline(tol, color="grey", linestyle=":", label=f"tolerance {tol:g}")
    if exact_seconds is not None:
        axes.axvline(exact_seconds, color="black", linestyle="--", label=f"closed form ({exact_seconds:.2g} s)")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("training time (s)")
    axes.set_ylabel(metric.replace("_", " "))
    if title:
        axes.set_title(title)
    axes.legend(fontsize="small")
    figure.tight_layout()
    atomic_write(path, lambda fh: figure.savefig(fh, format="png", dpi=120))
