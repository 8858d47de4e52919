"""The lifted quadratic-critic game: extragradient converges to the closed form, simultaneous GDA does not."""

import cvxpy as cp
import numpy as np
import pytest

from convexgan.duality.closed_form import eigh_descending, second_moment
from convexgan.duality.game import duality_gap, project_bounded_psd, prox_critic, solve_game
from convexgan.duality.programs import solve


def _data(seed=0, d=4):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((100, d)) @ np.diag(np.linspace(2.0, 0.3, d))


def _saddle(X, beta):
    lam, V = eigh_descending(second_moment(X))
    k = int(np.sum(lam > beta))
    return (V * np.maximum(lam - beta, 0)) @ V.T, V[:, :k] @ V[:, :k].T


@pytest.mark.parametrize("seed, beta", [(0, 0.5), (1, 0.2)])
def test_extragradient_gap_vanishes_at_the_closed_form(seed, beta):
    X = _data(seed)
    result = solve_game(X, beta, tol=1e-9)
    S_star, A_star = _saddle(X, beta)
    assert result.converged and result.gap <= 1e-9 * np.trace(second_moment(X))
    assert result.gaps[0] > 1e6 * result.gap
    assert np.abs(result.S - S_star).max() <= 1e-7
    assert np.abs(result.A - A_star).max() <= 1e-7


def test_simultaneous_gda_does_not_converge():
    X = _data(2)
    result = solve_game(X, 0.5, method="gda", max_iter=3000)
    late = result.gaps[len(result.gaps) // 2 :]
    assert not result.converged
    assert late.min() > 0.1
    assert np.abs(result.S - _saddle(X, 0.5)[0]).max() > 0.1


def test_duality_gap_is_nonnegative_and_zero_at_the_saddle_point():
    X = _data(3, d=3)
    S_X = second_moment(X)
    beta, tau, rho = 0.4, float(np.trace(S_X)), 2.0
    S_star, A_star = _saddle(X, beta)
    assert abs(duality_gap(S_star, A_star, S_X, beta, tau, rho)) <= 1e-12
    rng = np.random.default_rng(4)
    for _ in range(20):
        B = rng.standard_normal((3, 3))
        S = project_bounded_psd(B @ B.T, tau)
        A = prox_critic(rng.standard_normal((3, 3)) * 2, 0.0, rho)
        assert duality_gap(S, A, S_X, beta, tau, rho) >= -1e-12


def test_projection_and_prox_match_cvxpy():
    rng = np.random.default_rng(5)
    B = rng.standard_normal((4, 4))
    M = (B + B.T) * 2
    tau, rho, t = 1.5, 1.2, 0.7
    S = cp.Variable((4, 4), PSD=True)
    cp.Problem(cp.Minimize(cp.sum_squares(S - M)), [cp.trace(S) <= tau]).solve(solver="SCS", eps=1e-9)
    assert np.abs(project_bounded_psd(M, tau) - S.value).max() <= 1e-5
    A = cp.Variable((4, 4), symmetric=True)
    objective = cp.sum_squares(A - M) / 2 + t * cp.normNuc(A)
    cp.Problem(cp.Minimize(objective), [cp.sigma_max(A) <= rho]).solve(solver="SCS", eps=1e-9)
    assert np.abs(prox_critic(M, t, rho) - A.value).max() <= 1e-5


def test_solve_with_extragradient_matches_the_closed_form():
    X = _data(6)
    game = solve(X, "quadratic", "free", beta=0.5, method="extragradient")
    exact = solve(X, "quadratic", "free", beta=0.5)
    assert game.certificate["optimality"].startswith("game")
    assert game.certificate["status"] == "optimal"
    assert abs(game.value - exact.value) <= 1e-7
    assert abs(game.certificate["dual"] - exact.value) <= 1e-7
    assert np.abs(game.second_moment - exact.second_moment).max() <= 1e-7
    assert game.certificate["violation"] <= 1e-7


def test_bad_rho_is_refused():
    with pytest.raises(ValueError, match="rho=1.0"):
        solve_game(_data(7), 0.5, rho=1.0)


@pytest.mark.parametrize("scale", [1e3, 1e-6])
def test_the_game_does_not_depend_on_the_data_scale(scale):
    X = _data(8)
    reference = solve_game(X, 0.5)
    scaled = solve_game(scale * X, 0.5 * scale**2)
    assert scaled.converged and scaled.iterations == reference.iterations
    assert np.abs(scaled.S / scale**2 - reference.S).max() <= 1e-9
    assert np.abs(scaled.A - reference.A).max() <= 1e-9
