"""Issue 12: every pairing and method gives the same relative answer at data scales 1e-6 ... 1e6, labels follow
the evidence, duals are certified lower bounds, rank decisions follow the solver's accuracy, ties are reported."""

import re
import warnings

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from convexgan.duality import beta_from_k, critic_gap, solve
from convexgan.duality.certify import (
    GAP_RTOL,
    VIOLATION_RTOL,
    evidence,
    polynomial_critic_dual,
    quadratic_critic_dual,
)
from convexgan.duality.closed_form import attainable_k
from convexgan.duality.pairings import MOMENTS_CLAIM
from convexgan.exceptions import InaccurateSolutionWarning, RoundingWarning

SCALES = (1e-6, 1e-4, 1e4, 1e6)


def audit_data(scale):
    rng = np.random.default_rng(0)
    return scale * (rng.standard_normal((40, 8)) @ rng.standard_normal((8, 8)) / 3 + rng.standard_normal(8))


def assert_exact(solution):
    certificate = solution.certificate
    assert certificate["optimality"] == "exact", certificate["optimality"]
    assert certificate["status"] == "optimal"
    assert certificate["violation"] <= certificate["tolerance"]["violation"]
    assert certificate["gap"] <= certificate["tolerance"]["gap"]


@pytest.mark.parametrize("scale", (1.0, *SCALES))
def test_linear_critic_cvxpy_matches_the_closed_form_at_every_scale(scale):
    X = audit_data(scale)
    beta = 0.5 * np.linalg.norm(X.mean(0))
    with warnings.catch_warnings():
        warnings.simplefilter("error", InaccurateSolutionWarning)
        solution = solve(X, "linear", beta=beta, method="cvxpy")
    assert solution.value == pytest.approx(solve(X, "linear", beta=beta).value, rel=1e-6)
    assert_exact(solution)


@pytest.mark.parametrize("scale", SCALES)
def test_polynomial_critic_gives_the_scale_one_answer_at_every_scale(scale):
    X1, Xs = audit_data(1.0), audit_data(scale)
    # the same instance: (a, b) rescaled so that the constraint is the scale-1 constraint in new units
    beta1 = 0.1 * critic_gap(X1, np.zeros((1, 8)), "polynomial")
    reference = solve(X1, "polynomial", beta=beta1)
    solution = solve(Xs, "polynomial", beta=beta1, a=0.09 / scale**2, b=0.5 / scale)
    assert solution.value / scale**2 == pytest.approx(reference.value, rel=1e-6)
    assert_exact(solution) and assert_exact(reference)


def test_polynomial_default_critic_at_small_scale_is_exact():
    X = audit_data(1e-4)
    beta = 0.1 * critic_gap(X, np.zeros((1, 8)), "polynomial")
    solution = solve(X, "polynomial", beta=beta)
    assert_exact(solution)
    assert solution.certificate["dual"] <= solution.value + solution.certificate["tolerance"]["gap"]


@pytest.mark.parametrize("scale", (1e-4, 1e4))
def test_quadratic_cvxpy_at_extreme_scales_is_exact_with_a_certified_dual(scale):
    X = audit_data(scale)
    beta = 0.3 * np.linalg.eigvalsh(X.T @ X / 40)[-1]
    optimum = solve(X, "quadratic", beta=beta).value
    solution = solve(X, "quadratic", beta=beta, method="cvxpy")
    assert solution.value == pytest.approx(optimum, rel=1e-6)
    assert solution.certificate["dual"] <= optimum * (1 + 1e-12)
    assert_exact(solution)


@pytest.mark.timeout(60)
def test_polynomial_solve_that_hung_after_an_inaccurate_scs_solve_returns():
    r = np.random.default_rng(113022412)
    d = 6
    n = int(r.integers(d + 5, 4 * d + 20))
    C = r.standard_normal((d, d)) / np.sqrt(d)
    X = 1e4 * (r.standard_normal((n, d)) @ C + r.standard_normal(d) * 0.7)
    beta = 0.1 * np.linalg.norm(X.mean(0))
    solution = solve(X, "polynomial", beta=beta, a=0.0, b=1.0)
    # a = 0: the critic is linear, so the optimum is the soft-thresholded mean with zero covariance
    mu = X.mean(0)
    optimum = float(np.sum(mu * mu)) * (1 - beta / np.linalg.norm(mu)) ** 2
    assert solution.value == pytest.approx(optimum, rel=1e-6)
    assert_exact(solution)


def wide_instance():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5, 10)) + 0.5 * rng.standard_normal(10)
    lam = np.sort(np.linalg.eigvalsh(X.T @ X / 5))[::-1]
    return rng, X, lam[3] / 2


def test_n_below_d_cvxpy_does_not_count_solver_noise_as_rank():
    _, X, beta = wide_instance()
    quadratic = solve(X, "quadratic", beta=beta, method="cvxpy")
    assert quadratic.value == pytest.approx(solve(X, "quadratic", beta=beta).value, rel=1e-6)
    assert_exact(quadratic)
    polynomial = solve(X, "polynomial", beta=beta)
    assert polynomial.G.shape == (6, 10)
    assert_exact(polynomial)


def test_linear_generator_with_a_ones_column_carries_the_optimal_mean():
    rng, X, beta = wide_instance()
    Z = np.hstack([rng.standard_normal((30, 6)), np.ones((30, 1))])
    solution = solve(X, "polynomial", "linear", Z=Z, beta=beta)
    certificate = solution.certificate
    assert certificate["optimality"].startswith("moments optimal for tr(S_G)")
    free = solve(X, "polynomial", beta=beta)
    assert certificate["moments_primal"] == pytest.approx(free.value, rel=1e-6)
    assert certificate["moments_dual"] <= certificate["moments_primal"] + certificate["tolerance"]["gap"]


def tied_instance():
    Q = np.linalg.qr(np.random.default_rng(0).standard_normal((6, 6)))[0]
    return np.sqrt(6) * np.diag(np.sqrt([5.0, 3.0, 3.0, 3.0, 1.0, 0.5])) @ Q.T


def test_k_at_a_tie_is_refused_with_the_attainable_k():
    X = tied_instance()
    for k in (2, 3):
        with pytest.raises(ValueError, match=f"k={k} is not attainable: .* nearest attainable k: 1 and 4"):
            solve(X, "quadratic", k=k)
    assert attainable_k(np.linalg.eigvalsh(X.T @ X / 6)[::-1], 6) == [1, 4, 5]
    for k in (1, 4, 5):
        assert solve(X, "quadratic", k=k).k == k
        assert np.linalg.matrix_rank(solve(X, "quadratic", beta=beta_from_k(X, k)).second_moment, tol=1e-9) == k


def test_certified_duals_stay_below_the_optimum_after_perturbation():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 4)) + 0.5
    S_X = X.T @ X / 30
    beta = 0.4 * np.linalg.eigvalsh(S_X)[-1]
    optimum = solve(X, "quadratic", beta=beta).value
    lam, V = np.linalg.eigh(S_X)
    A = V[:, lam > beta] @ V[:, lam > beta].T
    assert quadratic_critic_dual(A, S_X, beta) == pytest.approx(optimum, rel=1e-12)
    for _ in range(20):
        noise = rng.normal(size=(4, 4))
        assert quadratic_critic_dual(A + 0.1 * (noise + noise.T), S_X, beta) <= optimum * (1 + 1e-12)
    polynomial = solve(X, "polynomial", beta=0.2)
    d = 4
    for _ in range(20):
        Y = rng.normal(size=(2, d + 1, d + 1))
        bound = polynomial_critic_dual(Y[0] + Y[0].T, Y[1] + Y[1].T, X.mean(0), S_X, 0.2, 0.09, 0.5)
        assert bound <= polynomial.value + polynomial.certificate["tolerance"]["gap"]


def test_label_is_the_claim_only_when_every_check_passes():
    run = {"status": "optimal"}
    checks = {"violation": 0.0, "constraint_scale": 2.0, "primal": 10.0, "dual": 10.0, "objective_scale": 1.0}
    assert evidence(run, **checks) == ("exact", {"violation": 2.0 * VIOLATION_RTOL, "gap": 10.0 * GAP_RTOL})
    failing = [
        ({"status": "optimal_inaccurate"}, {}, "solver status 'optimal_inaccurate'"),
        (run, {"violation": 3e-6}, r"violation of \(C\) 3\.000e-06 > 2\.0e-06"),
        (run, {"dual": 10.0 - 2e-5}, r"gap primal - dual = 2\.000e-05, \|gap\| > 1\.0e-05"),
        (run, {"dual": 10.0 + 2e-5}, r"gap primal - dual = -2\.000e-05, \|gap\| > 1\.0e-05"),
    ]
    for record, change, message in failing:
        label, _ = evidence(record, **{**checks, **change}, claim="moments optimal")
        assert label.startswith("inaccurate: ") and label.endswith("(claim not certified: moments optimal)")
        assert re.search(message, label)
    assert evidence(run, **{**checks, "dual": None, "primal": 1e-20, "objective_scale": 1e-30})[0] == "exact"


PAIRINGS = [
    ("free", "linear", "closed_form"), ("free", "linear", "cvxpy"),
    ("free", "quadratic", "closed_form"), ("free", "quadratic", "cvxpy"),
    ("free", "polynomial", "cvxpy"),
    ("linear", "linear", "closed_form"), ("linear", "linear", "cvxpy"),
    ("linear", "quadratic", "closed_form"), ("linear", "quadratic", "cvxpy"),
    ("linear", "polynomial", "cvxpy"),
]


def scaled_problem(generator, critic, seed, n, d):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) / np.sqrt(d) + rng.normal(size=d)
    Z = np.hstack([rng.normal(size=(12, d)), np.ones((12, 1))]) if generator == "linear" else None
    if critic == "linear":
        fraction = 0.5 * np.linalg.norm(X.mean(0))
    elif critic == "quadratic":
        fraction = float(np.sort(np.linalg.eigvalsh(X.T @ X / n))[-2])
    else:
        fraction = 0.3 * critic_gap(X, np.zeros((1, d)), "polynomial")
    return X, Z, fraction


def scaled_params(critic, scale):
    return {"a": 0.09 / scale**2, "b": 0.5 / scale} if critic == "polynomial" else {}


@settings(max_examples=12, deadline=None)
@example(pairing=("free", "polynomial", "cvxpy"), seed=0, exponent=-6, n=3)
@example(pairing=("linear", "quadratic", "cvxpy"), seed=1, exponent=6, n=4)
@example(pairing=("free", "quadratic", "cvxpy"), seed=2, exponent=-6, n=4)
@example(pairing=("linear", "polynomial", "cvxpy"), seed=3, exponent=6, n=3)
@given(
    pairing=st.sampled_from(PAIRINGS),
    seed=st.integers(0, 2**16),
    exponent=st.integers(-6, 6),
    n=st.integers(3, 9),
)
def test_every_pairing_is_scale_invariant_including_n_below_d(pairing, seed, exponent, n):
    generator, critic, method = pairing
    d = 5
    X, Z, beta = scaled_problem(generator, critic, seed, n, d)
    scale = 10.0**exponent
    # beta in the units of the constraint: scale (linear), scale^2 (quadratic), unchanged for the rescaled polynomial
    power = {"linear": 1, "quadratic": 2, "polynomial": 0}[critic]
    reference = solve(X, critic, generator, Z=Z, beta=beta, method=method, **scaled_params(critic, 1.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error", InaccurateSolutionWarning)
        scaled = solve(scale * X, critic, generator, Z=Z, beta=beta * scale**power, method=method,
                       **scaled_params(critic, scale))
    # ||W||^2 and tr S_G both scale as scale^2
    assert scaled.value / scale**2 == pytest.approx(reference.value, rel=1e-6, abs=1e-9 * np.trace(X.T @ X / n))
    if scaled.certificate["dual"] is not None:
        slack = scaled.certificate.get("tolerance", {"gap": 0.0})["gap"] + 1e-12 * abs(scaled.value)
        assert scaled.certificate["dual"] <= scaled.value + slack
    constraint_scale = max(beta * scale**power, critic_gap(scale * X, np.zeros((1, d)), critic,
                                                           **scaled_params(critic, scale)))
    assert scaled.certificate["violation"] <= VIOLATION_RTOL * constraint_scale
    if method == "closed_form":
        assert scaled.certificate["optimality"] == "exact"
    else:
        assert scaled.certificate["optimality"] in ("exact", MOMENTS_CLAIM)


def test_beta_below_the_rounding_level_of_the_data_is_said():
    """With beta 1e-24 of the zero generator's gap, float64 cannot meet (C) to beta: a RoundingWarning says so."""
    X = 1e12 * (np.random.default_rng(1).standard_normal((5, 3)) + 0.5)
    with pytest.warns(RoundingWarning, match="met only to rounding") as caught:
        solution = solve(X, "quadratic", beta=0.4)
    assert critic_gap(X, solution.G, "quadratic") > 2 * 0.4
    assert f"{0.4 / critic_gap(X, np.zeros((1, 3)), 'quadratic'):.1e}" in str(caught[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RoundingWarning)
        solve(X, "quadratic", beta=0.1 * critic_gap(X, np.zeros((1, 3)), "quadratic"))


@pytest.mark.parametrize("generator", ["free", "linear"])
def test_polynomial_program_with_beta_far_above_the_data(generator):
    """beta 1e123 times the critic's scale (data of size 1e-124, a draw of the property test): the zero generator is
    feasible and optimal; the normalised program keeps beta' = 1 instead of 1e123 (the solver returned 1e12 x the
    data and the moments could not be realised)."""
    rng = np.random.default_rng(3)
    X = np.full((4, 3), -6.88340289e-124)
    Z = np.hstack([rng.standard_normal((5, 4)), np.ones((5, 1))])
    options = {"Z": Z} if generator == "linear" else {}
    solution = solve(X, "polynomial", generator, beta=0.3991978982360104, method="cvxpy", **options)
    assert np.abs(solution.G).max() <= 1e-6 * 6.9e-124
    assert critic_gap(X, solution.G, "polynomial") <= 0.3991978982360104
