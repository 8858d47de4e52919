"""Per-index latents, interpolation and projection against independent computations."""

import numpy as np
import pytest
import torch
from scipy.special import ndtri
from scipy.stats import norm

from convexgan.progressive import interpolate, project, train
from convexgan.progressive.model.latent import interpolation_path
from convexgan.progressive.model.seeds import latent_rows, uniform_words

RESOLUTIONS = [2, 4, 8]
K = [4, 10, 16]


@pytest.fixture(scope="module")
def generator(tmp_path_factory, toy):
    run = tmp_path_factory.mktemp("latent") / "run"
    return train(toy, run, resolutions=RESOLUTIONS, k=K, latent=8, dtype="float64", progress=False)


def test_latent_rows_follow_the_documented_recipe():
    # Independent: numpy's PCG64 raw words -> top 52 bits (Python integers) -> (m + 1/2) 2^-52 -> norm.ppf.
    rows = latent_rows(5, 3, 4, 7)
    for r in range(4):
        words = np.random.PCG64(np.random.SeedSequence([5, 3 + r])).random_raw(7)
        u = (np.array([int(w) >> 12 for w in words], dtype=np.float64) + 0.5) / 2.0**52
        np.testing.assert_allclose(rows[r], norm.ppf(u), rtol=1e-13, atol=1e-13)


def test_extreme_words_give_finite_normals():
    u = uniform_words(np.array([0, 2**64 - 1], dtype=np.uint64))
    assert u[0] == 2.0**-53 and u[1] == 1 - 2.0**-53
    z = ndtri(u)
    assert np.all(np.isfinite(z)) and z[0] == -z[1] and 8 < z[1] < 8.3


def test_latent_rows_depend_on_seed_and_index_only():
    np.testing.assert_array_equal(latent_rows(1, 0, 10, 6)[4:7], latent_rows(1, 4, 3, 6))
    np.testing.assert_array_equal(latent_rows(1, 0, 10, 6)[:, :2], latent_rows(1, 0, 10, 2))
    assert not np.array_equal(latent_rows(1, 0, 3, 6), latent_rows(2, 0, 3, 6))


def test_latent_rows_are_standard_normal():
    z = latent_rows(0, 0, 4000, 5).ravel()
    # 20,000 N(0, 1) draws: the mean's standard error is 0.0071 and the variance's 0.01; 5 standard errors.
    assert abs(z.mean()) < 5 * 0.0071 and abs(z.var() - 1) < 5 * 0.01


def test_samples_do_not_depend_on_n_or_batch_size(generator):
    full = generator.sample(64, seed=0)
    np.testing.assert_array_equal(generator.sample(16, seed=0), full[:16])
    np.testing.assert_array_equal(generator.sample(64, seed=0, batch_size=7), full)
    np.testing.assert_array_equal(generator.sample(3, seed=0, batch_size=1), full[:3])


def test_sample_is_the_image_of_the_latent_rows(generator):
    z = latent_rows(3, 0, 5, generator.latent_size())
    F, b = (t.numpy() for t in generator.affine_map())
    expected = z @ F + b + generator.stages[-1].mean.numpy()
    x = generator.sample(5, seed=3, dtype=torch.float64).reshape(5, -1)
    np.testing.assert_allclose(x, expected, atol=1e-6)  # float32 output: 2^-24 relative on values of order 1


def test_split_latent_gives_the_per_stage_blocks(generator):
    D = generator.latent_size()
    assert D == sum(generator.latent_dims) and generator.latent_size(0) == generator.latent_dims[0]
    z = torch.arange(2 * D, dtype=torch.float64).reshape(2, D)
    blocks = generator.split_latent(z)
    assert [blk.shape[1] for blk in blocks] == generator.latent_dims
    np.testing.assert_array_equal(torch.cat(blocks, 1), z)
    with pytest.raises(ValueError, match=rf"shape \(n, {D}\)"):
        generator.split_latent(z[:, :-1])


def test_interpolation_endpoints_are_the_endpoint_images(generator):
    z = generator.latents(4, seed=2)
    for method in ("linear", "spherical"):
        images, path = interpolate(generator, z[:2], z[2:], 5, method=method)
        assert images.shape == (2, 5, 8, 8, 3) and path.shape == (2, 5, z.shape[1])
        np.testing.assert_allclose(images[:, 0], generator.generate(torch.from_numpy(z[:2]), dtype=torch.float64),
                                   atol=1e-12)
        np.testing.assert_allclose(images[:, -1], generator.generate(torch.from_numpy(z[2:]), dtype=torch.float64),
                                   atol=1e-12)


def test_linear_interpolation_blends_the_images(generator):
    z = generator.latents(2, seed=4)
    images, _ = interpolate(generator, z[0], z[1], 3)
    np.testing.assert_allclose(images[0, 1], (images[0, 0] + images[0, 2]) / 2, atol=1e-6)


def test_spherical_interpolation_keeps_equal_norms():
    rng = np.random.default_rng(0)
    z0, z1 = rng.standard_normal((2, 1, 30))
    z1 *= np.linalg.norm(z0) / np.linalg.norm(z1)
    path = interpolation_path(z0, z1, 9, "spherical")[0]
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), np.linalg.norm(z0), rtol=1e-12)
    # On the great circle: equal angles between consecutive points.
    cos = np.sum(path[1:] * path[:-1], axis=1) / np.linalg.norm(z0) ** 2
    np.testing.assert_allclose(cos, cos[0], rtol=1e-12)
    # The linear midpoint is shorter (the chord).
    assert np.linalg.norm(interpolation_path(z0, z1, 3, "linear")[0, 1]) < np.linalg.norm(z0)


def test_interpolate_refuses_a_bad_method_or_latent(generator):
    z = generator.latents(2, seed=0)
    with pytest.raises(ValueError, match="method='cubic'"):
        interpolate(generator, z[0], z[1], 3, method="cubic")
    with pytest.raises(ValueError, match="z1 must be a finite latent"):
        interpolate(generator, z[0], z[1, :-1], 3)


def test_projection_recovers_a_latent_of_the_row_space(generator):
    F, b = (t.numpy() for t in generator.affine_map())
    z = generator.latents(3, seed=8)
    # z F only sees the component of z in the range of F (in R^D): project with numpy's pinv (F F^+ = projector).
    z_row = z @ F @ np.linalg.pinv(F)
    x = (z_row @ F + b + generator.stages[-1].mean.numpy()).reshape(3, 8, 8, 3)
    result = project(generator, x)
    np.testing.assert_allclose(result.latents, z_row, atol=1e-9)
    np.testing.assert_allclose(result.reconstructions, x, atol=1e-6)  # float32 reconstructions
    np.testing.assert_allclose(result.reconstructions, generator.generate(torch.from_numpy(z), dtype=torch.float64),
                               atol=1e-6)
    assert np.all(result.rms_error < 1e-12) and np.all(result.explained > 1 - 1e-12)
    assert result.rank == K[-1]


def test_projection_agrees_with_numpy_lstsq(generator, toy):
    from PIL import Image

    x = np.stack([np.asarray(Image.fromarray(im).resize((8, 8), Image.BICUBIC), np.float64) / 255 for im in toy[:6]])
    result = project(generator, x)
    F, b = (t.numpy() for t in generator.affine_map())
    c = x.reshape(6, -1) - b - generator.stages[-1].mean.numpy()
    z, *_ = np.linalg.lstsq(F.T, c.T, rcond=None)  # min-norm solution of F^T z^T = c^T
    np.testing.assert_allclose(result.latents, z.T, atol=1e-8 * np.abs(z).max())
    residual = c - z.T @ F
    np.testing.assert_allclose(result.rms_error, np.sqrt(np.mean(residual**2, axis=1)), rtol=1e-8)
    np.testing.assert_allclose(result.explained, 1 - np.sum(residual**2, 1) / np.sum(c**2, 1), rtol=1e-8)
    assert np.all((0 < result.explained) & (result.explained < 1))


def test_project_refuses_images_of_the_wrong_size(generator):
    with pytest.raises(ValueError, match=r"images must have shape \(n, 8, 8, 3\)"):
        project(generator, np.zeros((2, 4, 4, 3)))
