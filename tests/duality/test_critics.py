"""Critic gaps against brute force, critic objects, neuron recovery from dual matrices, parameter checks."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from convexgan.duality import critic_gap
from convexgan.duality.critics import (
    Critic,
    critic_parameters,
    max_quadratic_on_ball,
    neurons_from_moment_matrix,
    polynomial_moment_gap,
    rotation_root,
)


def disk_grid(radii=300, angles=1500):
    r = np.linspace(0.0, 1.0, radii)[:, None]
    t = np.linspace(0.0, 2 * np.pi, angles, endpoint=False)[None, :]
    U = np.stack([(r * np.cos(t)).ravel(), (r * np.sin(t)).ravel()], axis=1)
    return U, max(1.0 / (radii - 1), 2 * np.pi / angles)


def brute_polynomial_gap(D1, D2, a, b):
    U, h = disk_grid()
    values = a * np.einsum("ij,jk,ik->i", U, D2, U) + b * U @ D1
    lipschitz = 2 * abs(a) * np.linalg.norm(D2, 2) + abs(b) * np.linalg.norm(D1)
    return np.abs(values).max(), lipschitz * h


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), a=st.floats(-2, 2), b=st.floats(-2, 2))
@example(seed=184, a=0.5, b=1e-15)
def test_polynomial_gap_matches_brute_force_on_the_disk(seed, a, b):
    rng = np.random.default_rng(seed)
    D2 = rng.normal(size=(2, 2))
    D2 = D2 + D2.T
    D1 = rng.normal(size=2)
    exact = polynomial_moment_gap(D1, D2, a, b)
    brute, resolution = brute_polynomial_gap(D1, D2, a, b)
    assert brute - 1e-12 <= exact <= brute + resolution + 1e-12


def test_trust_region_hard_case():
    # top eigenvector orthogonal to g: max over the circle of 1 - 2 t^2 + t/2 is at t = 1/8
    assert max_quadratic_on_ball(np.diag([1.0, -1.0]), np.array([0.0, 0.5])) == pytest.approx(1 + 1 / 32, rel=1e-14)


def test_trust_region_interior_maximiser():
    A = -np.array([[2.0, 0.3], [0.3, 1.0]])
    g = np.array([0.2, -0.1])
    assert max_quadratic_on_ball(A, g) == pytest.approx(g @ np.linalg.solve(-A, g) / 4, rel=1e-13)


def test_trust_region_in_higher_dimension_against_sampled_sphere():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(5, 5))
    A = A + A.T
    g = rng.normal(size=5)
    U = rng.normal(size=(200_000, 5))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    sampled = (np.einsum("ij,jk,ik->i", U, A, U) + U @ g).max()
    exact = max_quadratic_on_ball(A, g)
    assert sampled <= exact + 1e-12
    assert exact <= sampled + 0.05 * abs(exact)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_linear_and_quadratic_gaps_match_their_formulas_on_the_circle(seed):
    rng = np.random.default_rng(seed)
    X, G = rng.normal(size=(30, 2)), rng.normal(size=(20, 2)) * 1.5 + 0.3
    t = np.linspace(0, 2 * np.pi, 20000, endpoint=False)
    U = np.stack([np.cos(t), np.sin(t)], axis=1)
    linear = np.abs((X @ U.T).mean(0) - (G @ U.T).mean(0)).max()
    quadratic = np.abs(((X @ U.T) ** 2).mean(0) - ((G @ U.T) ** 2).mean(0)).max()
    assert critic_gap(X, G, "linear") == pytest.approx(linear, rel=1e-6)
    assert critic_gap(X, G, "quadratic") == pytest.approx(quadratic, rel=1e-6)


def test_polynomial_gap_ignores_c_and_uses_defaults():
    rng = np.random.default_rng(0)
    X, G = rng.normal(size=(30, 2)), rng.normal(size=(25, 2)) + 0.2
    D1 = X.mean(0) - G.mean(0)
    D2 = X.T @ X / 30 - G.T @ G / 25
    expected = polynomial_moment_gap(D1, D2, 0.09, 0.5)
    assert critic_gap(X, G, "polynomial") == pytest.approx(expected, rel=1e-14)
    assert critic_gap(X, G, "polynomial", c=5.0) == pytest.approx(expected, rel=1e-14)


def test_critic_evaluates_its_neurons():
    rng = np.random.default_rng(1)
    U, v, X = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(7, 3))
    critic = Critic("polynomial", U, v, a=0.2, b=-1.0, c=0.5)
    T = X @ U
    assert np.allclose(critic(X), (0.2 * T**2 - T + 0.5) @ v)
    assert critic.penalty == pytest.approx(np.abs(v).sum())
    assert np.allclose(Critic("quadratic", U, v)(X), (T**2) @ v)


def moment_matrix(seed, rank):
    rng = np.random.default_rng(seed)
    F = rng.normal(size=(4, rank))
    Y = F @ F.T
    Y[3, 3] = max(Y[3, 3], np.trace(Y[:3, :3]))
    return Y


def check_neurons(Y):
    U, w = neurons_from_moment_matrix(Y)
    H = np.vstack([U, np.ones((1, U.shape[1]))])
    assert np.allclose((H * w) @ H.T, Y, atol=1e-10 * max(1.0, np.abs(Y).max()))
    assert np.all(np.linalg.norm(U, axis=0) <= 1 + 1e-9)
    assert np.all(w > 0)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rank=st.integers(1, 5))
def test_neurons_from_moment_matrix_reconstructs_and_stays_in_the_ball(seed, rank):
    check_neurons(moment_matrix(seed, rank))


# Draws on which the former root (-qb - disc) / (2 qa) cancelled to -0 and the rotation loop never ended
# (found by searching seeds 0..15000 of the draw above, plus seed 24495 of issue 11).
HANGING_DRAWS = [(24495, 2), (13, 1), (19, 2), (59, 1), (89, 2), (228, 2), (275, 2), (283, 1), (437, 2), (456, 1),
                 (474, 1), (538, 1), (650, 2), (657, 1), (680, 1), (729, 2), (736, 1), (741, 1), (748, 1), (775, 2)]


@pytest.mark.timeout(20)
def test_neurons_from_moment_matrix_finishes_on_the_draws_that_hung():
    for seed, rank in HANGING_DRAWS:
        check_neurons(moment_matrix(seed, rank))


@pytest.mark.parametrize("qa, qb, qc", [(-1.0, 1e8, 1.0), (-1.0, -1e8, 1.0), (-1e-300, 2.0, 1.0), (-2.0, 0.0, 8.0)])
def test_rotation_root_solves_the_quadratic_without_cancellation(qa, qb, qc):
    alpha = rotation_root(qa, qb, qc)
    exact = [r for r in np.roots([qa, qb, qc]) if abs(r - alpha) <= 1e-6 * abs(r)] if qa < -1e-200 else [-qc / qb]
    assert alpha != 0 and len(exact) == 1
    assert abs(alpha - exact[0]) <= 1e-12 * abs(exact[0])


def test_critic_parameters_defaults_and_errors():
    assert critic_parameters("polynomial", {"a": 1.0}) == {"a": 1.0, "b": 0.5, "c": 0.47}
    with pytest.raises(ValueError, match=r"\['a'\] are not parameters of critic='quadratic'; it takes: none"):
        critic_parameters("quadratic", {"a": 1.0})
    with pytest.raises(ValueError, match="critic='cubic' must be one of"):
        critic_parameters("cubic", {})


@pytest.mark.parametrize(
    "params, message",
    [({"a": 0.0, "b": 0.0}, "a=0 and b=0"), ({"a": float("nan")}, "a=nan must be a finite real number")],
)
def test_polynomial_parameter_values_are_checked(params, message):
    X = np.eye(3)
    with pytest.raises(ValueError, match=message):
        critic_gap(X, X, "polynomial", **params)


def test_critic_gap_checks_shapes():
    with pytest.raises(ValueError, match=r"G must have d=3 columns like X; got shape \(4, 2\)"):
        critic_gap(np.ones((5, 3)), np.ones((4, 2)), "linear")
    with pytest.raises(ValueError, match="G must be finite"):
        critic_gap(np.ones((5, 3)), np.full((4, 3), np.inf), "quadratic")
