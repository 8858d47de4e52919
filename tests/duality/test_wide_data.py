"""n much smaller than d (issue 13 item 4): the closed forms take the n x n route, never a d x d eigenproblem."""

import numpy as np
import pytest

from convexgan.duality import solve
from convexgan.duality.closed_form import eigh_descending, moment_spectrum, second_moment


@pytest.fixture
def no_large_eigenproblem(monkeypatch):
    """Make every dense symmetric eigensolver refuse matrices larger than 100 x 100."""
    for name in ("eigh", "eigvalsh"):
        original = getattr(np.linalg, name)

        def guarded(A, *args, _original=original, _name=name, **kwargs):
            if np.shape(A)[-1] > 100:
                raise AssertionError(f"np.linalg.{_name} called on a {np.shape(A)} matrix")
            return _original(A, *args, **kwargs)

        monkeypatch.setattr(np.linalg, name, guarded)


@pytest.mark.parametrize("n, d", [(3, 7), (5, 12), (9, 9), (12, 5)])
def test_moment_spectrum_matches_the_d_by_d_eigendecomposition(n, d):
    X = np.random.default_rng(n * d).normal(size=(n, d))
    lam, V = moment_spectrum(X)
    full, V_full = eigh_descending(second_moment(X))
    assert lam.shape == (min(n, d),) and V.shape == (d, min(n, d))
    assert np.allclose(lam, full[: min(n, d)], rtol=1e-12, atol=1e-13 * full[0])
    assert np.allclose(full[min(n, d):], 0.0, atol=1e-13 * full[0])
    r = int(np.count_nonzero(lam > 1e-10 * lam[0]))
    assert np.allclose(V[:, :r], V_full[:, :r], atol=1e-9)


@pytest.mark.parametrize("critic", ["quadratic", "linear"])
def test_wide_free_solution_equals_the_d_by_d_route_at_small_size(critic):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(4, 11)) + 0.3
    lam, V = eigh_descending(second_moment(X))
    beta = 0.5 * lam[1] if critic == "quadratic" else 0.5 * np.linalg.norm(X.mean(0))
    solution = solve(X, critic, beta=beta)
    if critic == "quadratic":
        expected = (V * np.maximum(lam - beta, 0.0)) @ V.T
        assert np.allclose(solution.second_moment, expected, atol=1e-12 * lam[0])
        assert np.allclose(solution.mean, 0.0, atol=1e-12)
    else:
        mu = X.mean(0)
        assert np.allclose(solution.mean, mu * (1 - beta / np.linalg.norm(mu)), atol=1e-12)
    assert solution.certificate["violation"] <= 1e-12 * max(lam[0], 1.0)


def test_wide_linear_generator_equals_the_d_by_d_route_at_small_size():
    rng = np.random.default_rng(5)
    X, Z = rng.normal(size=(30, 4)), rng.normal(size=(3, 9))
    lam, V = eigh_descending(second_moment(X))
    s2, _ = eigh_descending(second_moment(Z))
    beta = lam[2] * 1.01
    solution = solve(X, "quadratic", "linear", Z=Z, beta=beta)
    assert solution.value == pytest.approx(np.sum((lam[:2] - beta) / s2[:2]), rel=1e-12)
    assert np.allclose(solution.second_moment, (V * np.maximum(lam - beta, 0.0)) @ V.T, atol=1e-12 * lam[0])


def test_three_samples_in_two_thousand_dimensions_need_no_d_by_d_eigenproblem(no_large_eigenproblem):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 2000))
    lam = np.linalg.svd(X, compute_uv=False) ** 2 / 3
    beta = (lam[1] + lam[2]) / 2
    solution = solve(X, "quadratic", beta=beta)
    assert solution.G.shape == (4, 2000) and solution.k == 2
    assert solution.value == pytest.approx(np.sum(lam[:2] - beta), rel=1e-12)
    assert solution.certificate["violation"] <= 1e-12 * lam[0]
    assert solve(X, "quadratic", k=1).k == 1


def test_linear_generator_with_twenty_thousand_inputs_needs_no_d_z_eigenproblem(no_large_eigenproblem):
    rng = np.random.default_rng(1)
    X, Z = rng.normal(size=(40, 6)), rng.normal(size=(5, 20000))
    lam = eigh_descending(second_moment(X))[0]
    s2 = np.linalg.svd(Z, compute_uv=False) ** 2 / 5
    beta = lam[3]
    solution = solve(X, "quadratic", "linear", Z=Z, beta=beta)
    assert solution.W.shape == (20000, 6)
    assert solution.value == pytest.approx(np.sum((lam[:3] - beta) / s2[:3]), rel=1e-10)
    assert solution.certificate["violation"] <= 1e-10 * lam[0]
