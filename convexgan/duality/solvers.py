"""Solver choice, options and readable failures for the CVXPY programs.

Default per problem class (``solver=None``), as measured on the quadratic-critic SDP (DESIGN.md):

- ``"SOCP"`` (linear critic): ``CLARABEL`` (interior point, accurate and fast on small cones) with its gap and
  feasibility tolerances at 1e-9 (the default 1e-8 left absolute errors of 1e-9 on values of order 1e-4);
- ``"SDP"`` (quadratic and polynomial critics): ``SCS`` with ``eps_abs = eps_rel = 1e-9`` (Clarabel took 271 s
  and 5 GB at d = 100 where SCS took about a second).

``MOSEK`` is accepted when the ``mosek`` package and a licence are present (the licence is checked before
solving). The solver is always passed explicitly to ``Problem.solve``: with an unlicensed ``mosek`` installed,
CVXPY's own default would pick it and fail. SDPs with ``d > MAX_SDP_DIMENSION`` are refused.
"""

import time
import warnings
from typing import Any

import numpy as np

from convexgan._extras import cvxpy as cp
from convexgan._validation import check_choice
from convexgan.exceptions import SolverError

DEFAULT_SOLVERS = {"SOCP": "CLARABEL", "SDP": "SCS"}
SOLVER_OPTIONS = {
    "SCS": {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iters": 200_000},
    "CLARABEL": {"tol_gap_abs": 1e-9, "tol_gap_rel": 1e-9, "tol_feas": 1e-9},
    "MOSEK": {},
}
MAX_SDP_DIMENSION = 300
ACCURACY = {"SCS": 1e-9, "CLARABEL": 1e-9, "MOSEK": 1e-8, "closed_form": float(np.finfo(np.float64).eps)}
RANK_FACTOR = 100.0


def rank_tolerance(solver: str) -> float:
    r"""Relative tolerance below which an eigenvalue of a moment matrix returned by ``solver`` counts as zero.

    ``RANK_FACTOR * ACCURACY[solver]``: a solver run at (relative, the programs being normalised) accuracy
    :math:`\epsilon` leaves eigenvalues of order :math:`\epsilon \lambda_{\max}` where the optimum has none, so
    those are noise, not rank (SCS at :math:`10^{-9}`: :math:`10^{-7}`; closed forms: :math:`100\,\epsilon_{mach}`).

    Parameters
    ----------
    solver : str
        A key of ``ACCURACY`` (``"SCS"``, ``"CLARABEL"``, ``"MOSEK"`` or ``"closed_form"``).
    """
    return RANK_FACTOR * ACCURACY[solver]


def mosek_licensed() -> None:
    """Raise a :class:`SolverError` unless the ``mosek`` package imports and a licence can be checked out."""
    try:
        import mosek
    except ImportError:
        raise SolverError(
            "solver='MOSEK' needs the mosek package: pip install 'convexgan[mosek]' (and a licence file)"
        ) from None
    try:
        with mosek.Env() as env:
            env.checkoutlicense(mosek.feature.pts)
    except mosek.Error as err:
        raise SolverError(f"solver='MOSEK': no usable MOSEK licence ({err}); use solver='SCS' or 'CLARABEL'") from None


def check_solver_name(solver: object) -> str | None:
    """Return ``solver`` upper-cased (or None) after checking it names a supported solver."""
    if solver is None:
        return None
    if not isinstance(solver, str):
        raise TypeError(f"solver must be a string such as 'SCS'; got {solver!r}")
    return check_choice(solver.upper(), "solver", tuple(SOLVER_OPTIONS))


def choose_solver(solver: str | None, kind: str) -> str:
    """Return the solver name for a problem of class ``kind`` (``"SOCP"`` or ``"SDP"``), checking availability."""
    solver = check_solver_name(solver)
    if solver is None:
        return DEFAULT_SOLVERS[kind]
    if solver == "MOSEK":
        mosek_licensed()
    elif solver not in cp.installed_solvers():
        raise SolverError(f"solver={solver!r} is not installed; installed: {', '.join(cp.installed_solvers())}")
    return solver


def refuse_large_sdp(d: int, closed_form: bool) -> None:
    """Raise ``ValueError`` when an SDP in dimension ``d`` exceeds ``MAX_SDP_DIMENSION``.

    ``closed_form`` says whether this pairing has a closed form to point to.
    """
    if d > MAX_SDP_DIMENSION:
        hint = (
            "use method='closed_form'"
            if closed_form
            else "only the quadratic critic has a closed form at this size (method='closed_form')"
        )
        raise ValueError(f"d={d} is too large for a generic SDP solver (limit d <= {MAX_SDP_DIMENSION}); {hint}")


def run(problem: Any, solver: str | None, kind: str) -> dict[str, Any]:
    """Solve a CVXPY ``problem`` with ``solver`` (or the default for ``kind``); return the run record.

    Returns
    -------
    dict
        ``solver``, ``status``, ``iterations``, ``seconds``. ``status`` is ``"optimal"`` or
        ``"optimal_inaccurate"`` (the caller warns with the measured violation).

    Raises
    ------
    SolverError
        When the solver raises or ends with any other status.
    """
    name = choose_solver(solver, kind)
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Solution may be inaccurate")
            problem.solve(solver=name, **SOLVER_OPTIONS[name])
    except cp.error.SolverError as err:
        raise SolverError(f"solver {name} failed on the {kind}: {err}") from None
    seconds = time.perf_counter() - start
    if problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        raise SolverError(f"solver {name} ended with status {problem.status!r} on the {kind}; expected 'optimal'")
    return {
        "solver": name,
        "status": problem.status,
        "iterations": problem.solver_stats.num_iters,
        "seconds": seconds,
    }
