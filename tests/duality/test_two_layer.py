"""Two-layer generators: the recovered networks reproduce G* and their weight decay is the program's value."""

import numpy as np
import pytest

from convexgan.duality.programs import solve
from convexgan.duality.two_layer import fit_quadratic_generator, fit_relu_generator


def _noise(seed, m=10, dz=2):
    rng = np.random.default_rng(seed)
    return np.hstack([rng.standard_normal((m, dz)), np.ones((m, 1))])


def _data(seed, n=40):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3)) @ np.diag([2.0, 1.0, 0.3])
    return X - X.mean(axis=0)


@pytest.mark.parametrize("seed", [0, 2])
def test_exact_relu_fit_reproduces_targets_with_its_weight_decay(seed):
    Z = _noise(seed)
    W = np.random.default_rng(seed + 10).standard_normal((3, 2))
    fit = fit_relu_generator(Z, Z @ W)
    network = fit.generator
    assert network.architecture == "relu" and fit.exact_patterns
    assert np.abs(network(Z) - Z @ W).max() <= 1e-4
    assert abs(network.weight_decay - fit.value) <= 1e-5 * fit.value
    linear_as_relu = 2 * np.linalg.norm(W, axis=0).sum()
    assert fit.value <= linear_as_relu * (1 + 1e-6)


def test_gated_relaxation_is_no_more_costly_and_labelled():
    Z = _noise(3, m=8)
    target = np.random.default_rng(4).standard_normal((8, 2))
    exact = fit_relu_generator(Z, target)
    gated = fit_relu_generator(Z, target, cone=False)
    assert gated.value <= exact.value * (1 + 1e-6)
    assert gated.generator.architecture in ("relu", "gated_relu")
    assert np.abs(gated.generator(Z) - target).max() <= 1e-4
    assert abs(gated.generator.weight_decay - gated.value) <= 1e-5 * gated.value
    if gated.generator.architecture == "gated_relu":
        assert gated.generator.gates.shape == gated.generator.W1.shape


def test_quadratic_fit_reproduces_targets_and_beats_a_known_network():
    Z = _noise(5)
    W = np.random.default_rng(6).standard_normal((3, 2))
    fit = fit_quadratic_generator(Z, Z @ W, solver="CLARABEL")
    assert fit.generator.architecture == "quadratic"
    assert np.abs(fit.generator(Z) - Z @ W).max() <= 1e-4
    assert abs(fit.generator.weight_decay - fit.value) <= 1e-5 * fit.value
    ones = np.eye(3)[2]
    known = sum(np.abs(np.linalg.eigvalsh((np.outer(w, ones) + np.outer(ones, w)) / 2)).sum() for w in W.T)
    assert fit.value <= known * (1 + 1e-6)


def test_quadratic_fit_without_bias_says_it_is_infeasible():
    Z = np.random.default_rng(7).standard_normal((20, 2))
    with pytest.raises(ValueError, match="infeasible"):
        fit_quadratic_generator(Z, Z @ np.ones((2, 1)), solver="CLARABEL")


@pytest.mark.parametrize("generator", ["relu2", "quadratic2"])
def test_solve_two_step_matches_the_linear_generator_samples(generator):
    X, Z = _data(8), _noise(9, m=12)
    linear = solve(X, "quadratic", "linear", Z=Z, k=2)
    two_layer = solve(X, "quadratic", generator, Z=Z, k=2)
    certificate = two_layer.certificate
    assert two_layer.method == "two_step" and two_layer.generator == generator
    assert certificate["architecture"] == generator[:-1]
    assert np.abs(two_layer.network(Z) - linear.G).max() <= 1e-4 * max(1, np.abs(linear.G).max())
    assert np.abs(two_layer.second_moment - linear.second_moment).max() <= 1e-3
    assert certificate["violation"] <= 1e-3
    assert certificate["optimality"].startswith("two-step") and "per-output neurons" in certificate["optimality"]
    assert abs(two_layer.value - two_layer.network.weight_decay) <= 1e-4 * two_layer.value
