r"""Live reporting of a training's stages: a bar weighted by each stage's expected seconds, and one row per stage.

Cost model. A stage's time is a fixed part (its grid of samples, checkpoint and report, :data:`FIXED_SECONDS`)
and its eigen-solves (top pairs, then the certificate :math:`\|S_X - S_G\|_2`), whose cost depends on the
eigen-path of the stage's concrete method (:func:`convexgan.progressive.stages.policy.choose_eigensolver`), with
``d = r^2 C`` pixels, ``n`` images and ``k`` kept components:

.. math::  t(d, k, n) = t_0 + \begin{cases}
               c_{\text{dense}}\, d^3 & \text{dense } (\texttt{torch.linalg.eigh} \text{ of the } d \times d \text{ moment}) \\
               c_{\text{iter}}\, d^2 (k + 1) & \text{eigsh, lobpcg, randomized (products } S_X v\text{)} \\
               c_{\text{op}}\, n d (k + 1) & \text{operator (products through the } n \times d \text{ pixels)} \\
               c_{\text{gram}}\, (n^2 d + n^3) & \text{gram (the } n \times n \text{ Gram and its eigh)}
           \end{cases}

The constants (:data:`COSTS`, seconds) were fitted on the timings of ``report.json`` of small CelebA runs, one
per path, recorded with their provenance in ``tests/progressive/data/stage_timings.json``; only their ratios
matter to the bar, whose estimate is tqdm's ``elapsed * (1 - frac) / frac``. With a ``beta`` schedule ``k``
is not known before the solve; the model takes ``k = 32`` (:data:`BETA_K`), the block
:func:`~convexgan.progressive.linalg.eigen.eigenpairs_above` starts with.

The ``stages`` bar counts :data:`TICKS` integer ticks: after stage ``i`` it stands at the rounded share of the
expected seconds of the stages done (:func:`stage_weights`), so it never passes its total (no clamping) and
never goes back; it shows the stage being solved and its resolution. The rows are written with ``tqdm.write``,
so they appear above the bars instead of breaking them.
"""

import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from tqdm.auto import tqdm

from convexgan.choices import MATRIX_METHODS

COSTS = {"dense": 1.45e-9, "iterative": 1.9e-8, "operator": 1.2e-7, "gram": 2.4e-9}
"""Seconds per unit of each path's cost law (see the module docstring)."""
FIXED_SECONDS = 0.3
"""The fixed part of a stage (grid, checkpoint, report)."""
BETA_K = 32
TICKS = 10**6

COLUMNS = (("stage", 5), ("res", 5), ("d", 6), ("k", 4), ("beta", 11), ("||S_X-S_G||/beta", 17),
           ("solver", 10), ("residual", 9), ("s", 7))


def stage_cost(d: int, k: int, method: str, n: int) -> float:
    r"""Expected seconds :math:`t(d, k, n)` of a stage solved by the concrete ``method`` on ``n`` images."""
    d_, k_, n_ = float(d), float(k), float(n)
    if method == "dense":
        work = COSTS["dense"] * d_**3
    elif method in MATRIX_METHODS:
        work = COSTS["iterative"] * d_**2 * (k_ + 1)
    elif method == "operator":
        work = COSTS["operator"] * n_ * d_ * (k_ + 1)
    elif method == "gram":
        work = COSTS["gram"] * (n_**2 * d_ + n_**3)
    else:
        raise ValueError(f"method={method!r} must be a concrete eigen-solver: dense, {', '.join(MATRIX_METHODS[1:])}, "
                         f"operator or gram")
    return FIXED_SECONDS + work


def stage_weights(dims: Sequence[int], ks: Sequence[int | None], methods: Sequence[str], n: int,
                  total: float = 1.0) -> list[float]:
    r"""The stages' expected seconds (:func:`stage_cost`) scaled to sum to ``total``.

    Parameters
    ----------
    dims : sequence of int
        ``d = r^2 C`` per stage.
    ks : sequence of int or None
        Kept components per stage (``None``: unknown, a ``beta`` schedule; taken as :data:`BETA_K`).
    methods : sequence of str
        The concrete eigen-solver per stage.
    n : int
        Number of images.
    total : float

    Returns
    -------
    list of float
    """
    costs = [stage_cost(d, BETA_K if k is None else min(k, d), m, n) for d, k, m in zip(dims, ks, methods)]
    scale = total / sum(costs)
    return [c * scale for c in costs]


class StageBar:
    """The ``stages`` bar over the stages ``todo`` of a run (rank 0 only, when ``enabled``).

    Parameters
    ----------
    todo : list of int
        Indices of the stages to train.
    record : dict
        The run's record (``resolutions``, ``k``).
    channels : int
    methods : list of str
        The concrete eigen-solver of each stage of ``todo``.
    n : int
        Number of images.
    enabled : bool
    """

    def __init__(self, todo: Sequence[int], record: Mapping[str, Any], channels: int, methods: Sequence[str],
                 n: int, enabled: bool) -> None:
        resolutions = record["resolutions"]
        dims = [resolutions[i] ** 2 * channels for i in todo]
        ks = [record["k"][i] if record["k"] else None for i in todo]
        self.weights = dict(zip(todo, stage_weights(dims, ks, methods, n)))
        self.done = 0.0
        self.resolutions, self.count = resolutions, len(resolutions)
        self.bar = tqdm(total=TICKS, desc="stages", smoothing=0, disable=not enabled,
                        bar_format="{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]")

    def __enter__(self) -> "StageBar":
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.close()

    def start(self, index: int) -> None:
        """Show that stage ``index`` is being solved."""
        r = self.resolutions[index]
        self.bar.set_description_str(f"stages {index + 1}/{self.count} {r}x{r}")

    def finish(self, index: int) -> None:
        """Advance to the share of the expected seconds of the stages done, ``index`` the last of them."""
        self.done += self.weights[index]
        self.bar.update(min(TICKS, round(TICKS * self.done)) - self.bar.n)


def header() -> str:
    """The header line of the stage rows."""
    return " ".join(f"{name:>{width}}" for name, width in COLUMNS)


def row(info: Mapping[str, Any]) -> str:
    """One stage's row from its report entry."""
    solver = info["eigensolver"]
    values = (info["index"], info["resolution"], info["d"], info["k"], f"{info['beta']:.4e}",
              f"{info['constraint_value']:.10f}", solver["method"].split()[0], f"{solver['residual']:.1e}",
              f"{info['seconds']:.2f}")
    return " ".join(f"{value:>{width}}" for value, (_, width) in zip(values, COLUMNS))


class RowPrinter:
    """An ``on_stage`` callback printing each stage's row (the header before the first) with ``tqdm.write``."""

    def __init__(self, file: TextIO | None = None) -> None:
        self.file = file
        self.rows = 0

    def __call__(self, info: Mapping[str, Any]) -> None:
        file = self.file or sys.stdout
        if not self.rows:
            tqdm.write(header(), file=file)
        tqdm.write(row(info), file=file)
        self.rows += 1
