"""Hyperplane arrangements: exact enumeration against brute force, counts against the known formulas and bound."""

import numpy as np
import pytest

from convexgan.duality.arrangements import (
    activation_patterns,
    max_chamber_count,
    pattern_count_bound,
)


def _pattern_set(patterns):
    return {tuple(p) for p in np.asarray(patterns, dtype=bool)}


def _dense_circle_patterns(S, count=200_000):
    theta = np.linspace(0, 2 * np.pi, count, endpoint=False)
    U = np.stack([np.cos(theta), np.sin(theta)], axis=1)
    return _pattern_set((S @ U.T > 0).T)


def _fibonacci_sphere(count):
    i = np.arange(count) + 0.5
    phi = np.arccos(1 - 2 * i / count)
    theta = np.pi * (1 + 5**0.5) * i
    return np.stack([np.cos(theta) * np.sin(phi), np.sin(theta) * np.sin(phi), np.cos(phi)], axis=1)


def test_known_chamber_counts():
    for N in range(2, 9):
        assert max_chamber_count(N, 1) == 2
        assert max_chamber_count(N, 2) == 2 * N
        assert max_chamber_count(N, N) == 2**N


@pytest.mark.parametrize("N, r", [(n, r) for n in (2, 5, 20, 200) for r in (1, 2, 3, 5) if r <= n])
def test_bound_dominates_the_worst_case(N, r):
    assert max_chamber_count(N, r) <= pattern_count_bound(N, r)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_planar_patterns_equal_brute_force(seed):
    rng = np.random.default_rng(seed)
    S = rng.standard_normal((7, 2))
    S[3] = -2.5 * S[1]
    arrangement = activation_patterns(S)
    assert arrangement.exact and arrangement.method == "angles"
    assert _pattern_set(arrangement.patterns) == _dense_circle_patterns(S)
    assert len(arrangement) == 2 * 6


@pytest.mark.parametrize("N, d", [(6, 3), (9, 3), (7, 4)])
def test_general_position_counts_and_methods_agree(N, d):
    S = np.random.default_rng(N * d).standard_normal((N, d))
    vertices = activation_patterns(S, method="vertices")
    incremental = activation_patterns(S, method="incremental")
    assert vertices.method == "vertices"
    assert len(vertices) == max_chamber_count(N, d) <= pattern_count_bound(N, d)
    assert _pattern_set(vertices.patterns) == _pattern_set(incremental.patterns)


def test_degenerate_points_in_3d_match_dense_sphere():
    rng = np.random.default_rng(5)
    S = rng.standard_normal((7, 3))
    S[3] = S[1] + S[2]
    S[4] = -2 * S[0]
    S[5] = 0.0
    arrangement = activation_patterns(S)
    assert arrangement.exact and arrangement.method == "vertices"
    incremental = activation_patterns(S, method="incremental")
    assert _pattern_set(incremental.patterns) == _pattern_set(arrangement.patterns)
    U = _fibonacci_sphere(400_000)
    dense = _pattern_set((S @ U.T >= 0).T)
    found = _pattern_set(arrangement.patterns)
    assert dense <= found
    margins = np.abs(S[[0, 1, 2, 3, 4, 6]] @ arrangement.directions.T)
    assert margins.min() > 0
    assert _pattern_set((S @ arrangement.directions.T >= 0).T) == found
    assert len(found) <= max_chamber_count(5, 3)


def test_rank_two_points_in_3d_use_angles():
    rng = np.random.default_rng(3)
    S = rng.standard_normal((6, 2)) @ rng.standard_normal((2, 3))
    arrangement = activation_patterns(S)
    assert arrangement.rank == 2 and arrangement.method == "angles"
    assert len(arrangement) == 12
    assert np.allclose(arrangement.directions @ np.linalg.svd(S)[2][2], 0.0)


def test_sampled_patterns_are_labelled_and_a_subset():
    S = np.random.default_rng(4).standard_normal((20, 4))
    exact = activation_patterns(S)
    sampled = activation_patterns(S, method="sampled", n_samples=500, seed=0)
    again = activation_patterns(S, method="sampled", n_samples=500, seed=0)
    assert not sampled.exact and exact.exact
    assert _pattern_set(sampled.patterns) < _pattern_set(exact.patterns)
    assert np.array_equal(sampled.patterns, again.patterns)


def test_auto_samples_beyond_the_limit():
    S = np.random.default_rng(6).standard_normal((30, 5))
    arrangement = activation_patterns(S, max_patterns=1000, seed=0)
    assert arrangement.method == "sampled" and not arrangement.exact


def test_bad_input_names_the_argument():
    S = np.random.default_rng(7).standard_normal((5, 3))
    with pytest.raises(ValueError, match="rank <= 2"):
        activation_patterns(S, method="angles")
    with pytest.raises(ValueError, match="max_patterns=10"):
        activation_patterns(S, method="incremental", max_patterns=10)
    with pytest.raises(ValueError, match="method='nope'"):
        activation_patterns(S, method="nope")
    with pytest.raises(ValueError, match="nonzero row"):
        activation_patterns(np.zeros((3, 2)))
