"""The progressive GDA baseline: two stages on 8x8 digits, measured against the closed form of each stage."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from convexgan.baselines import ProgressiveGDA
from convexgan.baselines.images import downsample, flatten_centred


@pytest.fixture(scope="module")
def trained():
    images = load_digits().images[:400, :, :, None] / 16.0
    model = ProgressiveGDA(images, resolutions=(4, 8), k=(3, 6), batch_size=16, seed=0)
    return images, model, model.fit(60, log_every=30, progress=False)


def test_two_stages_with_earlier_layers_frozen(trained):
    _, model, histories = trained
    assert [h.method for h in histories] == ["progressive-gda 4x4", "progressive-gda 8x8"]
    first, second = model.stages
    assert second.frozen[0] is first.ema and not first.ema.requires_grad
    assert second.generator_parameters == [second.W] and first.W is not second.W
    assert first.measure() == {key: values[-1] for key, values in histories[0].metrics.items()}  # untouched
    assert model.sample(5).shape == (5, 8, 8, 1)


def test_error_is_measured_against_the_closed_form(trained):
    images, model, histories = trained
    stage = model.stages[1]
    X = flatten_centred(downsample(images, 8))[0]
    lam, V = np.linalg.eigh(X.T @ X / X.shape[0])
    lam, V = lam[::-1], V[:, ::-1]
    beta = lam[6]  # k = 6 kept components
    S_star = (V * np.maximum(lam - beta, 0)) @ V.T
    Z = torch.randn(200000, model.latent_dim, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        G = stage.forward(Z, stage.ema).double().numpy()
    S_G = G.T @ G / G.shape[0]
    sampled = np.linalg.norm(S_G - S_star) / np.linalg.norm(S_star)
    assert sampled == pytest.approx(histories[1].final("relative_error"), rel=0.02)
    assert np.isclose(stage.beta, beta)
