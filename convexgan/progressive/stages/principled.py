r"""Principled mode: one exact stage of progressive training (:ref:`theory-progressive`).

:math:`\hat z_1 = z_1` and :math:`\hat z_i = [\mathrm{up}(g_{i-1}), c_i z_i]` with :math:`f_i = \max(k_i - k_{i-1}, 0)`
fresh latent columns, so that :math:`\operatorname{rank}(\hat z_i) \ge k_i` and every stage is feasible; the input
second moment is the exact one of the affine map (no noise rows). The fresh columns are scaled by
:math:`c_i^2 = \tfrac14 s^2_{\min}` (``fresh_ratio``), where :math:`s^2_{\min} = 4(\lambda_{k_{i-1}} - \beta_{i-1})`
is the smallest kept input eigenvalue coming from the previous stage, so they rank below the previous stage's
directions and only supply the directions it lacks. No constant column: the data are centred and the mean is
added back at sampling, so the samples have the data mean exactly. Among the optimal solutions (each kept
pair's sign is free) the one whose output correlates best with the upsampled previous stage is taken, and the
report gives the stage coherence :math:`E\|g_i - \mathrm{up}(g_{i-1})\|^2 / E\|g_i\|^2`.

The data spectrum comes from the ``d x d`` moment when the data pass accumulated it (``moments.second``), else
through a :class:`~convexgan.progressive.pipeline.operator.DataOperator` over the stage's cached 8-bit pixels
(``'operator'`` or ``'gram'`` path, :mod:`convexgan.progressive.stages.policy`); the closed form is the same, and the
certificate is then the rigorous upper bound of :mod:`convexgan.progressive.linalg.certificate`.
"""

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from convexgan.exceptions import InaccurateSolutionWarning
from convexgan.choices import CERTIFICATE_TOLERANCE
from convexgan.progressive.model.generator import StageWeights, stage_input_map
from convexgan.progressive.pipeline.moments import Moments
from convexgan.progressive.pipeline.operator import DataOperator
from convexgan.progressive.runtime.phases import phase
from convexgan.progressive.stages.policy import check_path_memory
from convexgan.progressive.stages.report import StageOutcome, StageReport
from convexgan.progressive.stages.closed_form import (
    check_feasible,
    closed_form_factor,
    data_spectrum,
    input_spectrum,
    stage_certificate,
)



def stage_operator(moments: Moments, device: torch.device | str, k: int | None, path: str, label: str) -> DataOperator:
    r"""The :class:`DataOperator` of the stage's cached pixels (``moments.second`` is ``None``), for ``k`` pairs.

    The memory of ``path`` (:func:`convexgan.progressive.stages.policy.path_bytes`) is checked first, and the operator's
    count of images must equal the data pass's.
    """
    if moments.pixels is None:
        raise ValueError(f"{label}: the d x d moment was not accumulated and no pixel cache holds the images; "
                         f"use cache='memory' or 'disk', or a matrix eigensolver ('dense', 'eigsh')")
    check_path_memory(path, moments.d, moments.n, k, label)
    op = DataOperator(moments.pixels.pixels(moments.resolution), resolution=moments.resolution,
                      channels=moments.channels, device=device)
    if op.n != moments.n:
        raise RuntimeError(f"{label}: the pixel cache holds {op.n} images, the data pass counted {moments.n}")
    return op


def solve_stage(i: int, stages: Sequence[StageWeights], moments: Moments, record: Mapping[str, Any],
                device: torch.device, method: str) -> StageOutcome:
    r"""Solve principled stage ``i`` on the data moments ``moments`` given the finished ``stages``.

    Parameters
    ----------
    i : int
    stages : list of StageWeights
        The finished stages.
    moments : Moments
        The stage's data moments (``second`` is None on the pixel paths).
    record : dict
        The run's record (``config.json``).
    device : torch.device
    method : str
        The stage's concrete eigen-solver (:func:`convexgan.progressive.stages.policy.choose_eigensolver`).

    Returns
    -------
    StageOutcome
    """
    r = moments.resolution
    label = f"stage {i} ({r}x{r})"
    schedule = {"k": record["k"][i]} if record["k"] else {"beta": record["beta"][i]}
    second: torch.Tensor | DataOperator | None
    second, eps, raw_scale = moments.second, moments.eps, moments.raw_scale
    if second is None:
        wanted = schedule["k"] + 1 if "k" in schedule else None
        second = stage_operator(moments, device, wanted, method, label)
        eps, raw_scale = second.eps, second.raw_scale
    with phase("eigen_solve"):
        lam, V, beta, eig = data_spectrum(second, method=method, n=moments.n, eps=eps,
                                          raw_scale=raw_scale, **schedule)
    k = lam.numel()
    if i == 0:
        fresh, scale = record["latent"], 1.0
        up_info: dict[str, Any] = {}
    else:
        F_up, _ = stage_input_map(stages, 0, 0.0, False)
        up_s2, _, up_rank = input_spectrum(F_up)
        fresh = max(k - up_rank, 0)
        scale = math.sqrt(record["fresh_ratio"] * float(up_s2[up_rank - 1]))
        up_info = {"previous_rank": up_rank, "previous_s2_min": float(up_s2[up_rank - 1])}
    ones = False
    F, _ = stage_input_map(stages, fresh, scale, ones)
    s2, Q, rank = input_spectrum(F)
    check_feasible(k, rank, float(lam[rank]) if rank < k else beta, label)
    B = closed_form_factor(lam, s2.to(lam.device), Q.to(lam.device), beta)
    FB = F.to(B.device) @ B
    if i > 0:
        B, coherence = align_with_previous(B, FB, F[:, : moments.d].to(B.device), V)
        FB = F.to(B.device) @ B
        up_info["coherence"] = coherence
    C = FB.T @ FB
    input_info = dict(up_info, rank=rank, kept_s2_min=float(s2[k - 1]), kept_s2_max=float(s2[0]),
                      fresh_scale_squared=scale**2)
    with phase("certificate"):
        certificate = stage_certificate(second, V, C.to(V.device), beta, method, eig)
    value = certificate["value"]
    if value > 1 + CERTIFICATE_TOLERANCE:
        warnings.warn(f"{label}: constraint value ||S_X - S_G||_2 / beta = {value!r} exceeds 1 + 1e-6: the stage is "
                      f"not exact or not certified (eigen-solver residual {eig['residual']:.3g}, kept eigenvalues "
                      f"down to {float(lam[-1]):.3g}, beta {beta:.3g}, certificate {certificate['kind']})",
                      InaccurateSolutionWarning, stacklevel=4)
    keys = ("method", "residual", "relative_residual", "residuals", "passes", "columns")
    solver = {key: eig[key] for key in keys if key in eig}
    if moments.second is None:
        assert isinstance(second, DataOperator)  # made above when the d x d moment is absent
        solver["operator_passes"] = second.passes
    stage = StageWeights(r, moments.channels, moments.mean.cpu(), B.cpu(), V.cpu(), fresh, scale, ones)
    report = StageReport(
        index=i, resolution=r, d=moments.d, k=k, beta=beta, kept_eigenvalues=lam.cpu().tolist(),
        next_eigenvalue=eig["next_eigenvalue"], constraint_value=value, certificate=certificate,
        eigensolver=dict(solver, path="dense" if moments.second is not None else solver["method"]),
        input=dict(input_info, fresh=fresh, ones=ones), weight_norm=float(torch.linalg.matrix_norm(B)),
    )
    return StageOutcome(stage, lam.cpu(), report)


def align_with_previous(B: torch.Tensor, FB: torch.Tensor, U: torch.Tensor,
                        V: torch.Tensor) -> tuple[torch.Tensor, float]:
    r"""Choose the signs of the kept pairs so that the stage refines the previous one.

    Flipping a pair :math:`(q_j, v_j) \to (-q_j, v_j)` keeps :math:`S_G` and :math:`\|W\|_F` (both optimal
    solutions); with :math:`g = z F B V^T` and :math:`\mathrm{up}(g_{i-1}) = z U` (``z ~ N(0, I)``),
    :math:`E\langle g, \mathrm{up}(g_{i-1})\rangle = \sum_j (F B)_{:j} \cdot (U V)_{:j}`, so each sign is
    taken to make its term non-negative.

    Returns
    -------
    B : torch.Tensor (p, k)
        With aligned signs.
    coherence : float
        :math:`E\|g - \mathrm{up}(g_{i-1})\|^2 / E\|g\|^2` after alignment (0: the stage only adds detail).
    """
    terms = (FB * (U @ V)).sum(0)
    signs = torch.where(terms < 0, -1.0, 1.0).to(B.dtype)
    G = (FB * signs) @ V.T
    return B * signs, float((G - U).square().sum() / G.square().sum())
