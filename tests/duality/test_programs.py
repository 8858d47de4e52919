"""``solve``: closed forms against the CVXPY programs, certificates, reductions between critics, inputs."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convexgan.duality import InfeasibleError, beta_from_k, critic_gap, solve
from convexgan.duality.closed_form import eigh_descending
from convexgan.duality.generators import scaled_lifted_moments
from convexgan.duality.solvers import rank_tolerance

SOLVER_TOL = 1e-6


def instance(seed, d, n=None, shift=0.5):
    """Correlated data with a non-zero mean and a well separated beta (between two eigenvalues of S_X)."""
    rng = np.random.default_rng(seed)
    n = n or 4 * d + 3
    X = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + shift * rng.normal(size=d)
    lam = eigh_descending(X.T @ X / n)[0]
    j = int(rng.integers(1, d))
    beta = lam[j] + rng.uniform(0.25, 0.75) * (lam[j - 1] - lam[j])
    return rng, X, float(beta)


def check_certificate(solution, X, critic, **params):
    """Strong duality, (C) measured independently, complementary slackness E_X D - E_G D = beta sum |v|."""
    cert = solution.certificate
    scale = max(1.0, abs(cert["primal"]))
    assert abs(cert["gap"]) <= SOLVER_TOL * scale
    assert critic_gap(X, solution.G, critic, **params) <= solution.beta * (1 + SOLVER_TOL)
    assert cert["violation"] <= SOLVER_TOL * solution.beta
    D = solution.critic
    assert np.all(np.linalg.norm(D.U, axis=0) <= 1 + 1e-6)
    if solution.generator == "free":
        assert D(X).mean() - D(solution.G).mean() == pytest.approx(solution.beta * D.penalty, abs=1e-5 * scale)
    assert np.allclose(solution.mean, solution.G.mean(0))
    assert np.allclose(solution.second_moment, solution.G.T @ solution.G / solution.G.shape[0])


def critic_matrix(critic):
    return (critic.U * critic.v) @ critic.U.T


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(2, 6))
def test_quadratic_free_closed_form_matches_cvxpy(seed, d):
    _, X, beta = instance(seed, d)
    exact = solve(X, "quadratic", beta=beta, method="closed_form")
    program = solve(X, "quadratic", beta=beta, method="cvxpy")
    lam, V = eigh_descending(X.T @ X / X.shape[0])
    soft = (V * np.maximum(lam - beta, 0)) @ V.T
    assert np.allclose(exact.second_moment, soft, atol=1e-12 * lam[0])
    assert program.value == pytest.approx(exact.value, rel=SOLVER_TOL)
    assert np.allclose(program.second_moment, exact.second_moment, atol=SOLVER_TOL * lam[0])
    assert np.allclose(critic_matrix(program.critic), critic_matrix(exact.critic), atol=1e-5)
    assert program.k == exact.k == np.count_nonzero(lam > beta)
    for solution in (exact, program):
        check_certificate(solution, X, "quadratic")


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(2, 6), d_z=st.integers(0, 3))
def test_quadratic_linear_generator_closed_form_matches_cvxpy(seed, d, d_z):
    rng, X, beta = instance(seed, d)
    Z = rng.normal(size=(3 * d + 5, d + d_z)) * rng.uniform(0.5, 2.0, size=d + d_z)
    exact = solve(X, "quadratic", "linear", Z=Z, beta=beta, method="closed_form")
    program = solve(X, "quadratic", "linear", Z=Z, beta=beta, method="cvxpy")
    assert program.value == pytest.approx(exact.value, rel=SOLVER_TOL)
    assert np.allclose(program.second_moment, exact.second_moment, atol=SOLVER_TOL * np.abs(exact.second_moment).max())
    assert np.allclose(exact.G, Z @ exact.W)
    assert np.allclose(critic_matrix(program.critic), critic_matrix(exact.critic), atol=1e-5)
    for solution in (exact, program):
        check_certificate(solution, X, "quadratic")


def test_minimum_norm_pairing_beats_other_factors():
    rng, X, beta = instance(7, 4)
    Z = rng.normal(size=(40, 4)) * np.array([3.0, 2.0, 1.0, 0.5])
    best = solve(X, "quadratic", "linear", Z=Z, beta=beta)
    S_Z = Z.T @ Z / 40
    # any other W with the same S_G: W' = S_Z^{-1/2} O S_Z^{1/2} W for an orthogonal O
    e, P = np.linalg.eigh(S_Z)
    root, inv_root = (P * np.sqrt(e)) @ P.T, (P / np.sqrt(e)) @ P.T
    for _ in range(5):
        O = np.linalg.qr(rng.normal(size=(4, 4)))[0]
        other = inv_root @ O @ root @ best.W
        assert np.allclose(other.T @ S_Z @ other, best.W.T @ S_Z @ best.W)
        assert np.sum(other**2) >= best.value * (1 - 1e-12)


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    d=st.integers(1, 6),
    fraction=st.floats(0.05, 1.5).filter(lambda f: abs(f - 1) > 0.05),
)
def test_linear_critic_closed_forms_match_cvxpy(seed, d, fraction):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(20, d)) + rng.normal(size=d) * 2
    beta = fraction * np.linalg.norm(X.mean(0))
    Z = np.hstack([rng.normal(size=(15, 2)), np.ones((15, 1))])
    for generator, kwargs in (("free", {}), ("linear", {"Z": Z})):
        exact = solve(X, "linear", generator, beta=beta, method="closed_form", **kwargs)
        program = solve(X, "linear", generator, beta=beta, method="cvxpy", **kwargs)
        mu = X.mean(0) * max(0.0, 1 - beta / np.linalg.norm(X.mean(0)))
        assert np.allclose(exact.mean, mu, atol=1e-12 * (1 + np.abs(mu).max()))
        assert np.allclose(program.mean, mu, atol=1e-6 * (1 + np.abs(mu).max()))
        assert program.value == pytest.approx(exact.value, rel=1e-6, abs=1e-9)
        assert program.critic.v[0] == pytest.approx(exact.critic.v[0], rel=1e-5, abs=1e-6)
        for solution in (exact, program):
            check_certificate(solution, X, "linear")


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(2, 4), a=st.floats(0.05, 1.0), b=st.floats(0.1, 1.0))
def test_polynomial_solutions_are_certified(seed, d, a, b):
    _, X, _ = instance(seed, d, shift=1.0)
    beta = 0.3 * critic_gap(X, np.zeros((1, d)), "polynomial", a=a, b=b)
    solution = solve(X, "polynomial", beta=beta, a=a, b=b)
    assert solution.method == "cvxpy"
    check_certificate(solution, X, "polynomial", a=a, b=b)


def test_polynomial_without_linear_term_is_the_quadratic_critic_at_beta_over_a():
    _, X, beta = instance(11, 4)
    a = 0.4
    polynomial = solve(X, "polynomial", beta=a * beta, a=a, b=0.0)
    quadratic = solve(X, "quadratic", beta=beta)
    assert polynomial.value == pytest.approx(quadratic.value, rel=SOLVER_TOL)
    assert np.allclose(polynomial.second_moment, quadratic.second_moment, atol=1e-5)


def test_polynomial_without_quadratic_term_is_the_linear_critic_at_beta_over_b():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(30, 3)) + np.array([2.0, -1.0, 0.5])
    b = 0.5
    polynomial = solve(X, "polynomial", beta=b * 0.7, a=0.0, b=b)
    linear = solve(X, "linear", beta=0.7)
    assert polynomial.value == pytest.approx(linear.value, rel=SOLVER_TOL)
    assert np.allclose(polynomial.mean, linear.mean, atol=1e-6)


def test_polynomial_linear_generator_realises_the_lifted_moments():
    rng, X, _ = instance(2, 3, shift=1.0)
    Z = np.hstack([rng.normal(size=(30, 4)), np.ones((30, 1))])
    free = solve(X, "polynomial", beta=0.2)
    linear = solve(X, "polynomial", "linear", Z=Z, beta=0.2)
    assert np.allclose(linear.G, Z @ linear.W)
    assert np.allclose(linear.second_moment, free.second_moment, atol=1e-6)
    assert np.allclose(linear.mean, free.mean, atol=1e-6)
    assert linear.certificate["dual"] is None and "not certified" in linear.certificate["optimality"]
    assert linear.certificate["violation"] <= SOLVER_TOL * 0.2


def test_k_sets_beta_and_is_reported():
    _, X, _ = instance(3, 5)
    solution = solve(X, "quadratic", k=2)
    assert solution.beta == beta_from_k(X, 2)
    assert solution.k == 2
    assert np.linalg.matrix_rank(solution.second_moment, tol=1e-9) == 2


@pytest.mark.parametrize("generator", ["free", "linear"])
def test_float32_input_gives_float64_output_close_to_float64_input(generator):
    rng, X, beta = instance(4, 4)
    Z = rng.normal(size=(20, 5)) if generator == "linear" else None
    a = solve(X, "quadratic", generator, Z=Z, beta=beta)
    b = solve(X.astype(np.float32), "quadratic", generator, Z=None if Z is None else Z.astype(np.float32), beta=beta)
    assert b.G.dtype == np.float64 and b.second_moment.dtype == np.float64
    assert np.allclose(b.second_moment, a.second_moment, atol=1e-5 * np.abs(a.second_moment).max())


def test_free_generator_sample_count_and_determinism():
    _, X, beta = instance(6, 3)
    assert solve(X, "quadratic", beta=beta).G.shape == X.shape
    solution = solve(X, "polynomial", beta=0.1, m=7)
    assert solution.G.shape == (7, 3)
    assert np.array_equal(solve(X, "polynomial", beta=0.1, m=7).G, solution.G)
    # the package's rank rule: eigenvalues of the scaled lifted K at most rank_tolerance(solver) times the
    # largest are solver noise
    rtol = solution.certificate["rank_tolerance"]
    assert rtol == rank_tolerance(solution.certificate["solver"])
    K, _ = scaled_lifted_moments(solution.second_moment, solution.mean, scale=np.trace(X.T @ X) / X.shape[0])
    e = np.linalg.eigvalsh(K)
    rank = int(np.count_nonzero(e > rtol * e[-1]))
    assert rank == 3
    with pytest.raises(ValueError, match=f"m={rank - 1} cannot carry moments of rank {rank}; expected m >= {rank}"):
        solve(X, "polynomial", beta=0.1, m=rank - 1)


def test_infeasible_linear_generator_names_the_smallest_feasible_beta():
    rng, X, _ = instance(8, 5)
    Z = rng.normal(size=(30, 2))
    lam = eigh_descending(X.T @ X / X.shape[0])[0]
    for method in ("closed_form", "cvxpy"):
        message = re.escape(f"smallest feasible beta is lambda_(rank(Z)+1)(S_X) = {float(lam[2])!r}")
        with pytest.raises(InfeasibleError, match=message):
            solve(X, "quadratic", "linear", Z=Z, beta=0.5 * lam[2], method=method)
    assert solve(X, "quadratic", "linear", Z=Z, beta=lam[2]).certificate["violation"] <= 1e-12 * lam[0]


def test_zero_mean_generator_input_cannot_move_the_mean():
    rng = np.random.default_rng(9)
    X = rng.normal(size=(20, 3)) + 3.0
    Z = rng.normal(size=(10, 2))
    Z -= Z.mean(0)
    for method in ("closed_form", "cvxpy"):
        with pytest.raises(InfeasibleError, match="smallest feasible beta is \\|\\|mu_X\\|\\|"):
            solve(X, "linear", "linear", Z=Z, beta=0.1, method=method)


X_OK = np.random.default_rng(0).normal(size=(10, 3))


@pytest.mark.parametrize(
    "args, kwargs, error, message",
    [
        ((np.full((4, 2), np.nan), "linear"), {"beta": 1.0}, ValueError, "X must be finite"),
        ((np.ones(5), "linear"), {"beta": 1.0}, ValueError, r"X must be a 2-D array .* got shape \(5,\)"),
        ((X_OK, "cubic"), {"beta": 1.0}, ValueError, "critic='cubic' must be one of"),
        ((X_OK, "linear", "deep"), {"beta": 1.0}, ValueError, "generator='deep' must be one of"),
        ((X_OK, "linear"), {"beta": -1.0}, ValueError, "beta=-1.0 must be a finite number > 0"),
        ((X_OK, "linear"), {}, ValueError, "exactly one of beta and k; got beta=None, k=None"),
        ((X_OK, "quadratic"), {"beta": 1.0, "k": 1}, ValueError, "exactly one of beta and k"),
        ((X_OK, "quadratic"), {"k": 3}, ValueError, "k=3 must be between 1 and 2"),
        ((X_OK, "linear"), {"k": 1}, ValueError, "k=1 .* not critic='linear'; pass beta"),
        ((X_OK, "linear", "linear"), {"beta": 1.0}, ValueError, "generator='linear' needs Z"),
        ((X_OK, "linear"), {"beta": 1.0, "Z": X_OK}, ValueError, "Z is not used by generator='free'"),
        ((X_OK, "linear", "linear"), {"beta": 1.0, "Z": np.ones((0, 2))}, ValueError, r"Z must have at least 1 row"),
        ((X_OK, "linear", "linear"), {"beta": 1.0, "Z": X_OK, "m": 3}, ValueError, "m=3 is set by the rows of Z"),
        ((X_OK, "quadratic"), {"beta": 1.0, "a": 1.0}, ValueError, "not parameters of critic='quadratic'"),
        ((X_OK, "polynomial"), {"beta": 1.0, "method": "closed_form"}, ValueError, "'closed_form' is not available"),
        ((X_OK, "linear"), {"beta": 1.0, "method": "magic"}, ValueError, "method='magic' is not available"),
        ((X_OK, "linear"), {"beta": 1.0, "m": 0}, ValueError, "m=0 must be between 1"),
        ((X_OK, "quadratic"), {"beta": 1.0, "solver": "GUROBI"}, ValueError, "solver='GUROBI' must be one of"),
    ],
)
def test_invalid_input_is_named(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        solve(*args, **kwargs)


def test_large_sdp_is_refused_with_the_closed_form_named():
    X = np.random.default_rng(1).normal(size=(310, 301))
    with pytest.raises(ValueError, match="d=301 is too large .* use method='closed_form'"):
        solve(X, "quadratic", beta=1.0, method="cvxpy")
    assert solve(X, "quadratic", beta=1.0).method == "closed_form"
