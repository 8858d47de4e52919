"""One stage's outcome: the trained weights, the kept eigenvalues and the report row, built in one place."""

import dataclasses
from typing import Any

import torch

from convexgan.progressive.model.generator import StageWeights


@dataclasses.dataclass
class StageReport:
    r"""The report row of one stage (an entry of ``report.json``'s ``stages``), common to both modes.

    Attributes
    ----------
    index, resolution, d, k : int
        Stage index, resolution ``r``, dimension ``d = r^2 C`` and kept components.
    beta : float
        The stage's critic regularisation (:math:`\lambda_{k+1}` for a ``k`` schedule).
    kept_eigenvalues : list of float
        :math:`\lambda_1 \ge \dots \ge \lambda_k` of :math:`S_X`.
    next_eigenvalue : float
        :math:`\lambda_{k+1}` (0 when every eigenvalue is kept).
    constraint_value : float
        :math:`\|S_X - S_G\|_2 / \beta` (at most 1 for an exact stage).
    certificate : dict or None
        How ``constraint_value`` was obtained (principled mode; None in legacy mode).
    eigensolver : dict
        The eigen-solver's method, residuals and (through the pixels) passes.
    input : dict
        The stage input's spectrum (rank, kept variances, fresh columns).
    weight_norm : float
        :math:`\|B\|_F` (principled) or :math:`\|W\|_F` (legacy).
    seconds : float
        Wall seconds of the solve (set by the trainer).
    """

    index: int
    resolution: int
    d: int
    k: int
    beta: float
    kept_eigenvalues: list[float]
    next_eigenvalue: float
    constraint_value: float
    certificate: dict[str, Any] | None
    eigensolver: dict[str, Any]
    input: dict[str, Any]
    weight_norm: float
    seconds: float = 0.0

    def row(self) -> dict[str, Any]:
        """The row as written to ``report.json`` (without ``certificate`` when there is none)."""
        row = dataclasses.asdict(self)
        if row["certificate"] is None:
            del row["certificate"]
        return row


@dataclasses.dataclass
class StageOutcome:
    """What solving one stage gives: its weights, its kept eigenvalues (for the checkpoint) and its report."""

    weights: StageWeights
    eigenvalues: torch.Tensor
    report: StageReport
