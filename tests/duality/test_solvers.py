"""Solver choice, readable failures, inaccurate statuses, MOSEK availability, size refusal."""

import importlib.util

import cvxpy as cp
import numpy as np
import pytest

from convexgan.duality import SolverError, solve
from convexgan.duality import solvers
from convexgan.exceptions import InaccurateSolutionWarning

HAS_MOSEK = importlib.util.find_spec("mosek") is not None


def mosek_usable():
    try:
        solvers.mosek_licensed()
    except SolverError:
        return False
    return True


def test_defaults_per_problem_class():
    assert solvers.choose_solver(None, "SOCP") == "CLARABEL"
    assert solvers.choose_solver(None, "SDP") == "SCS"
    assert solvers.choose_solver("scs", "SDP") == "SCS"


def test_unknown_or_mistyped_solver_is_named():
    with pytest.raises(ValueError, match="solver='ECOS' must be one of 'SCS', 'CLARABEL', 'MOSEK'"):
        solvers.choose_solver("ecos", "SDP")
    with pytest.raises(TypeError, match="solver must be a string"):
        solvers.check_solver_name(3)


@pytest.mark.skipif(HAS_MOSEK, reason="the mosek package is installed")
def test_missing_mosek_package_is_a_clear_error():
    with pytest.raises(SolverError, match=r"needs the mosek package: pip install 'convexgan\[mosek\]'"):
        solve(np.eye(3) + 1, "quadratic", beta=0.5, method="cvxpy", solver="MOSEK")


@pytest.mark.skipif(not HAS_MOSEK or mosek_usable(), reason="needs mosek installed without a licence")
def test_unlicensed_mosek_is_detected_before_solving():
    with pytest.raises(SolverError, match="no usable MOSEK licence"):
        solve(np.eye(3) + 1, "quadratic", beta=0.5, method="cvxpy", solver="MOSEK")


@pytest.mark.skipif(not HAS_MOSEK or not mosek_usable(), reason="needs a licensed MOSEK")
def test_mosek_agrees_with_the_closed_form():
    X = np.random.default_rng(0).normal(size=(30, 4))
    exact = solve(X, "quadratic", beta=0.5)
    program = solve(X, "quadratic", beta=0.5, method="cvxpy", solver="MOSEK")
    assert program.value == pytest.approx(exact.value, rel=1e-6)


def test_failed_status_names_solver_and_status():
    x = cp.Variable()
    problem = cp.Problem(cp.Minimize(x), [x >= 1, x <= 0])
    with pytest.raises(SolverError, match="solver CLARABEL ended with status 'infeasible' on the SOCP"):
        solvers.run(problem, None, "SOCP")


def test_inaccurate_status_warns_with_the_measured_violation(monkeypatch):
    X = np.random.default_rng(1).normal(size=(60, 6))
    monkeypatch.setitem(solvers.SOLVER_OPTIONS, "SCS", {"max_iters": 5})
    with pytest.warns(InaccurateSolutionWarning, match="'optimal_inaccurate'.*measured violation of \\(C\\)") as record:
        solution = solve(X, "quadratic", beta=0.5, method="cvxpy")
    certificate = solution.certificate
    assert certificate["status"] == "optimal_inaccurate" and certificate["optimality"].startswith("inaccurate")
    assert f"{certificate['violation']:.3e}" in str(record[0].message)
    optimum = solve(X, "quadratic", beta=0.5).value
    assert certificate["dual"] <= optimum * (1 + 1e-12)


def test_scs_and_clarabel_agree_on_the_polynomial_sdp():
    X = np.random.default_rng(2).normal(size=(25, 3)) + 1.0
    scs = solve(X, "polynomial", beta=0.2, solver="SCS")
    clarabel = solve(X, "polynomial", beta=0.2, solver="CLARABEL")
    assert clarabel.certificate["solver"] == "CLARABEL"
    assert scs.value == pytest.approx(clarabel.value, rel=1e-6)
    assert max(scs.certificate["violation"], clarabel.certificate["violation"]) <= 1e-6 * 0.2


def test_refusal_message_depends_on_the_closed_form():
    with pytest.raises(ValueError, match=f"limit d <= {solvers.MAX_SDP_DIMENSION}\\); use method='closed_form'"):
        solvers.refuse_large_sdp(solvers.MAX_SDP_DIMENSION + 1, closed_form=True)
    with pytest.raises(ValueError, match="only the quadratic critic has a closed form"):
        solvers.refuse_large_sdp(solvers.MAX_SDP_DIMENSION + 1, closed_form=False)
    solvers.refuse_large_sdp(solvers.MAX_SDP_DIMENSION, closed_form=False)
