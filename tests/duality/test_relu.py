"""ReLU critic: exact gap against dense search and per-pattern SOCPs; cutting-plane solve against brute force."""

import cvxpy as cp
import numpy as np
import pytest

from convexgan.duality.arrangements import activation_patterns
from convexgan.duality.critics import critic_gap
from convexgan.duality.programs import solve
from convexgan.duality.relu import relu_critic_gap, relu_gap_at, relu_lower_bound, solve_relu_critic
from convexgan.exceptions import LowerBoundWarning


def _sphere(d, count, seed=0):
    if d == 2:
        theta = np.linspace(0, 2 * np.pi, count, endpoint=False)
        return np.stack([np.cos(theta), np.sin(theta)], axis=1), 2 * np.pi / count
    i = np.arange(count) + 0.5
    phi = np.arccos(1 - 2 * i / count)
    theta = np.pi * (1 + 5**0.5) * i
    U = np.stack([np.cos(theta) * np.sin(phi), np.sin(theta) * np.sin(phi), np.cos(phi)], axis=1)
    return U, 4.0 / np.sqrt(count)


def _instance(seed, n, m, d):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)) + 0.4, 0.8 * rng.standard_normal((m, d)) - 0.1


@pytest.mark.parametrize("d, seed", [(2, 0), (2, 1), (3, 2), (3, 3)])
def test_exact_gap_matches_dense_sphere_search(d, seed):
    X, G = _instance(seed, 6, 5, d)
    U, spacing = _sphere(d, 200_000 if d == 2 else 400_000)
    dense = np.abs(relu_gap_at(X, G, U)).max()
    lipschitz = np.linalg.norm(X, axis=1).mean() + np.linalg.norm(G, axis=1).mean()
    result = relu_critic_gap(X, G)
    assert result.exact
    assert dense <= result.value + 1e-12
    assert result.value <= dense + lipschitz * spacing
    assert abs(np.linalg.norm(result.direction) - 1) < 1e-12
    assert abs(result.sign * relu_gap_at(X, G, result.direction[None])[0] - result.value) < 1e-10


def test_cone_projections_equal_per_pattern_socps():
    X, G = _instance(7, 3, 3, 3)
    S = np.vstack([X, G])
    weights = np.concatenate([np.full(3, 1 / 3), np.full(3, -1 / 3)])
    best = 0.0
    for P in activation_patterns(S).patterns:
        c = S.T @ (weights * P)
        u = cp.Variable(3)
        cone = [cp.multiply(np.where(P, 1.0, -1.0), S @ u) >= 0, cp.norm(u, 2) <= 1]
        for sign in (1, -1):
            best = max(best, cp.Problem(cp.Maximize(sign * c @ u), cone).solve(solver="CLARABEL"))
    assert abs(relu_critic_gap(X, G).value - best) < 1e-6


def test_one_dimensional_closed_form_and_symmetries():
    X, G = _instance(8, 7, 4, 1)
    expected = max(
        abs(np.maximum(X, 0).mean() - np.maximum(G, 0).mean()), abs(np.maximum(-X, 0).mean() - np.maximum(-G, 0).mean())
    )
    assert abs(relu_critic_gap(X, G).value - expected) < 1e-12
    X3, G3 = _instance(9, 5, 6, 3)
    value = relu_critic_gap(X3, G3).value
    assert abs(relu_critic_gap(G3, X3).value - value) < 1e-12
    assert abs(relu_critic_gap(2.5 * X3, 2.5 * G3).value - 2.5 * value) < 1e-10
    assert relu_critic_gap(X3, X3[::-1]).value < 1e-12


def test_sampled_gap_is_a_labelled_lower_bound():
    X, G = _instance(10, 12, 12, 4)
    exact = relu_critic_gap(X, G)
    sampled = relu_critic_gap(X, G, max_patterns=50, n_samples=40, seed=0)
    assert exact.exact and not sampled.exact
    assert sampled.value <= exact.value + 1e-12
    with pytest.warns(LowerBoundWarning, match="lower bound"):
        critic_gap(X, G, "relu", max_patterns=50, n_samples=40)
    assert critic_gap(X, G, "relu") == exact.value


def _gap_1d(X, G):
    """Exact ReLU critic gap in one dimension for a batch of generated sets ``G`` (..., m)."""
    plus = np.maximum(X, 0).mean() - np.maximum(G, 0).mean(axis=-1)
    minus = np.maximum(-X, 0).mean() - np.maximum(-G, 0).mean(axis=-1)
    return np.maximum(np.abs(plus), np.abs(minus))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_cutting_plane_no_worse_than_brute_force(seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((5, 1)) + 0.5
    beta = 0.1 + 0.2 * rng.random()
    grid = np.linspace(-3, 3, 1201)
    A, B = np.meshgrid(grid, grid)
    pairs = np.stack([A, B], axis=-1)
    feasible = _gap_1d(X[:, 0], pairs) <= beta
    brute_free = ((pairs**2).sum(axis=-1) / 2)[feasible].min()
    Z = np.array([[1.0, 0.3], [-0.5, 1.0], [0.2, 1.0]])
    feasible = _gap_1d(X[:, 0], pairs @ Z.T) <= beta
    brute_linear = (pairs**2).sum(axis=-1)[feasible].min()
    tol = 1e-3
    for result, brute, Zi in ((solve_relu_critic(X, beta, m=2, tol=tol), brute_free, None),
                              (solve_relu_critic(X, beta, Z=Z, tol=tol), brute_linear, Z)):
        assert result.feasible
        assert _gap_1d(X[:, 0], result.G[:, 0]) <= beta * (1 + tol)
        assert result.value <= brute * (1 + 2 * tol)
        assert result.lower_bound <= brute
        assert result.lower_bound <= result.value * (1 + tol)


def test_cutting_plane_in_the_plane_against_a_grid():
    rng = np.random.default_rng(11)
    X = rng.standard_normal((4, 2)) + np.array([1.0, 0.5])
    beta = 0.5
    U, _ = _sphere(2, 360)
    grid = np.linspace(-2.5, 2.5, 201)
    points = np.stack(np.meshgrid(grid, grid), axis=-1).reshape(-1, 2)
    gaps = np.abs(np.maximum(X @ U.T, 0).mean(axis=0)[None] - np.maximum(points @ U.T, 0)).max(axis=1)
    brute = (points[gaps <= beta] ** 2).sum(axis=1).min()
    result = solve_relu_critic(X, beta, m=1)
    assert result.feasible and relu_critic_gap(X, result.G).value <= beta * 1.001
    spacing = 5 / 200
    assert result.value <= brute + 2 * np.sqrt(2) * spacing * np.sqrt(brute)


def test_solve_registers_relu_with_a_local_certificate():
    rng = np.random.default_rng(12)
    X = rng.standard_normal((8, 2)) + np.array([1.0, 0.5])
    Z = np.hstack([rng.standard_normal((8, 2)), np.ones((8, 1))])
    for generator, kwargs in (("free", {}), ("linear", {"Z": Z})):
        solution = solve(X, "relu", generator, beta=0.25, **kwargs)
        certificate = solution.certificate
        assert solution.method == "cutting_plane" and certificate["optimality"].startswith("local to tolerance 0.001")
        assert certificate["feasible"] and certificate["critic_gap_exact"]
        assert certificate["violation"] <= 0.25 * certificate["tol"]
        assert certificate["dual"] <= certificate["primal"] * (1 + certificate["tol"])
        if generator == "linear":
            assert np.allclose(solution.G, Z @ solution.W)
            assert abs(solution.value - np.sum(solution.W**2)) < 1e-12
        else:
            assert abs(solution.value - np.sum(solution.G**2) / 8) < 1e-12
        critic = solution.critic
        assert critic.activation == "relu"
        assert np.allclose(critic(X), np.maximum(X @ critic.U, 0) @ critic.v)


def test_lower_bound_certifies_a_global_optimum_on_positive_data():
    X = np.array([[2.0], [2.2], [1.8], [2.1]])
    beta = 0.3
    bound = relu_lower_bound(X, beta)
    assert abs(bound - (X.mean() - beta) ** 2) < 1e-12
    result = solve_relu_critic(X, beta)
    assert result.feasible
    assert bound <= result.value <= bound * (1 + 2e-3)


def test_degenerate_generated_samples_match_dense_search():
    X, _ = _instance(13, 6, 1, 3)
    G = np.vstack([X[:2], X[:2], np.zeros((2, 3)), X[0] + X[1], -0.5 * X[2]])
    U, spacing = _sphere(3, 400_000)
    dense = np.abs(relu_gap_at(X, G, U)).max()
    lipschitz = np.linalg.norm(X, axis=1).mean() + np.linalg.norm(G, axis=1).mean()
    value = relu_critic_gap(X, G).value
    assert dense <= value + 1e-12 <= dense + lipschitz * spacing + 1e-12


def test_restarts_reach_feasibility_from_infeasible_starts_and_same_seed_same_solution():
    rng = np.random.default_rng(14)
    X = rng.standard_normal((6, 2)) + 0.5
    first = solve_relu_critic(X, 0.3, m=4, seed=3)
    second = solve_relu_critic(X, 0.3, m=4, seed=3)
    assert first.feasible and relu_critic_gap(X, first.G).value <= 0.3 * (1 + 1e-3)
    assert len({step["start"] for step in first.history}) == 4
    assert np.array_equal(first.G, second.G) and first.value == second.value


def test_bad_seed_is_named():
    X, G = _instance(15, 4, 4, 2)
    with pytest.raises(TypeError, match="seed"):
        solve(X, "relu", beta=0.1, seed="x")
    with pytest.raises(TypeError, match="seed"):
        relu_critic_gap(X, G, method="sampled", seed=1.5)


@pytest.mark.parametrize("seed", [16, 17])
def test_planar_closed_form_equals_cone_projections(seed):
    X, G = _instance(seed, 9, 7, 2)
    G[:2], G[2], G[3] = X[:2], -1.5 * X[4], 0.0
    closed = relu_critic_gap(X, G)
    projections = relu_critic_gap(X, G, method="incremental")
    assert closed.method == "angles" and projections.method == "incremental"
    assert abs(closed.value - projections.value) <= 1e-12
    assert closed.n_patterns == projections.n_patterns


@pytest.mark.parametrize("n, d, seed", [(4, 30, 0), (4, 30, 3), (6, 100, 1)])
def test_gap_of_samples_equal_up_to_solver_noise_is_enumerated_and_tiny(n, d, seed):
    # issue 13 item 11: G = X plus 1e-12 noise (what a cutting-plane restriction returns near its start) made the
    # row space count noise directions as rank, and the vertex enumeration found no chamber while claiming exact
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    noise = 1e-12 * rng.standard_normal((n, d))
    G = X[rng.permutation(n)] + noise
    result = relu_critic_gap(X, G)
    assert result.exact and result.n_patterns >= 2
    # the gap is 1-Lipschitz in each row and zero at G = permuted X; the rank cut moves rows by <= 1e-9 ||S||
    truncation = 2e-9 * np.linalg.norm(np.vstack([X, G]), 2)
    assert 0 <= result.value <= np.linalg.norm(noise, axis=1).max() + truncation
    U = rng.standard_normal((2000, d))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    assert np.abs(relu_gap_at(X, G, U)).max() <= result.value + truncation


@pytest.mark.parametrize("broken", ["raises", "not optimal"])
def test_cone_projection_survives_a_failing_nnls(monkeypatch, broken):
    """scipy 1.14's nnls raises at its iteration limit and 1.15's can return non-optimal points: the projection
    onto {y : A y >= 0} must still equal the one CVXPY computes."""
    from convexgan.duality import relu

    def bad_nnls(M, b):
        if broken == "raises":
            raise RuntimeError("Maximum number of iterations reached.")
        return np.zeros(M.shape[1]), 0.0

    rng = np.random.default_rng(3)
    for _ in range(5):
        A, c = rng.standard_normal((6, 3)), rng.standard_normal(3)
        y = cp.Variable(3)
        cp.Problem(cp.Minimize(cp.sum_squares(y - c)), [A @ y >= 0]).solve(solver="CLARABEL")
        monkeypatch.setattr(relu, "nnls", bad_nnls)
        norm, proj = relu._cone_projection_norm(A, c)
        monkeypatch.undo()
        assert np.allclose(proj, y.value, atol=1e-6)
        assert norm == pytest.approx(np.linalg.norm(y.value), abs=1e-6)
