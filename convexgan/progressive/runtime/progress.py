r"""Live reporting of a training's stages: a bar weighted by each stage's expected cost, and one row per stage.

Cost model. A stage's time is dominated by the eigen-solves of the ``d x d`` data moment :math:`S_X`
(``d = r^2 C``): its top pairs, then the certificate :math:`\|S_X - S_G\|_2`
(:mod:`convexgan.progressive.stages.closed_form`). The expected cost of a stage keeping ``k`` components is

.. math::  c(d, k) = \begin{cases} d^3 & \text{dense (}\texttt{torch.linalg.eigh}\text{)} \\
                                   a\, d^2 (k + 1) & \text{iterative (ARPACK, LOBPCG, randomized)} \end{cases}

with the concrete method of the stage (:func:`convexgan.progressive.stages.policy.choose_eigensolver`):
a dense solve is :math:`O(d^3)`, an iterative one a number of products :math:`S_X v` (:math:`d^2` each)
proportional to the ``k + 1`` pairs sought. ``a = 20`` (:data:`ITERATIVE_FACTOR`) is the ratio measured on a loaded
2-core CPU, both eigen-solves of a stage timed (top pairs and certificate): dense at ``d = 768`` 0.37 s, ARPACK at
``d = 3072, k = 100`` 10.0 s on CelebA moments (1,000 images, ``a = 13``) and 36 s for the top pairs alone of a
synthetic slowly decaying spectrum (``a = 43``); dense at ``d = 3072`` took 31 s (the ``d^3`` law from ``d = 768``
predicts 24 s). With a ``beta`` schedule ``k`` is not known before the solve; the model takes ``k = 32``, the block
:func:`~convexgan.progressive.linalg.eigen.eigenpairs_above` starts with.

The ``stages`` bar advances by each finished stage's share of the total expected cost of the stages to train
(:func:`stage_weights`), so that its time estimate weighs a 64 x 64 stage as the hundreds of 8 x 8 stages it
costs; it shows the stage being solved and its resolution. The rows are written with ``tqdm.write``, so they
appear above the bars instead of breaking them.
"""

import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from tqdm.auto import tqdm

ITERATIVE_FACTOR = 20
BETA_K = 32

COLUMNS = (("stage", 5), ("res", 5), ("d", 6), ("k", 4), ("beta", 11), ("||S_X-S_G||/beta", 17),
           ("solver", 10), ("residual", 9), ("s", 7))


def stage_cost(d: int, k: int, method: str) -> float:
    r"""Expected cost :math:`c(d, k)` of a stage solved by ``method`` (``'dense'`` or an iterative one)."""
    return float(d) ** 3 if method == "dense" else ITERATIVE_FACTOR * float(d) ** 2 * (k + 1)


def stage_weights(dims: Sequence[int], ks: Sequence[int | None], methods: Sequence[str],
                  total: float = 1.0) -> list[float]:
    r"""The stages' expected costs (:func:`stage_cost`) scaled to sum to ``total``.

    Parameters
    ----------
    dims : sequence of int
        ``d = r^2 C`` per stage.
    ks : sequence of int or None
        Kept components per stage (``None``: unknown, a ``beta`` schedule; taken as :data:`BETA_K`).
    methods : sequence of str
        The concrete eigen-solver per stage.
    total : float

    Returns
    -------
    list of float
    """
    costs = [stage_cost(d, BETA_K if k is None else min(k, d), m) for d, k, m in zip(dims, ks, methods)]
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
    enabled : bool
    """

    def __init__(self, todo: Sequence[int], record: Mapping[str, Any], channels: int, methods: Sequence[str],
                 enabled: bool) -> None:
        resolutions = record["resolutions"]
        dims = [resolutions[i] ** 2 * channels for i in todo]
        ks = [record["k"][i] if record["k"] else None for i in todo]
        self.weights = dict(zip(todo, stage_weights(dims, ks, methods, total=100.0)))
        self.resolutions, self.count = resolutions, len(resolutions)
        self.bar = tqdm(total=100.0, desc="stages", smoothing=0, disable=not enabled,
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
        """Advance by stage ``index``'s share of the expected cost."""
        self.bar.update(self.weights[index])


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
