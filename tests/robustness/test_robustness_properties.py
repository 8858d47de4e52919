"""Property tests over the duality API: valid inputs give certified optima, invalid inputs the documented error.

The examples are derandomized (a fixed seed per test), so the suite draws the same problems on every run;
``benchmarks/robustness_summary.py --examples N`` draws fresh ones.
"""

from hypothesis import HealthCheck, given, settings
from robustness_properties import certificate_errors, invalid_problems, invalid_verdict, solver_verdict, valid_problems

FAST = settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
SOLVER = settings(FAST, max_examples=25)


@FAST
@given(valid_problems())
def test_closed_form_solutions_satisfy_their_certificate(problem):
    solution = problem.solve()
    assert certificate_errors(problem, solution) == []


@SOLVER
@given(valid_problems(methods=("cvxpy",), max_d=3, critics=("linear", "quadratic", "polynomial")))
def test_solver_solutions_satisfy_their_certificate_or_warn(problem):
    verdict, detail = solver_verdict(problem)
    assert verdict in ("certificate holds", "inaccurate, warned"), detail


@FAST
@given(invalid_problems())
def test_invalid_input_gives_the_documented_error(problem):
    verdict, detail = invalid_verdict(problem)
    assert verdict == "documented error", detail

