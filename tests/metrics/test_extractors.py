"""A tiny TorchScript feature network saved to a temporary file: loading, records and FID/KID end to end."""

import warnings

import numpy as np
import pytest
import scipy.linalg

torch = pytest.importorskip("torch", reason="torch is not installed; feature extractors need pip install 'convexgan[train]'")

from convexgan.metrics import fid, kid, load_extractor, load_inception_2015_12_05, load_torchscript_extractor  # noqa: E402


def images(seed, n=40, shift=0.0):
    rng = np.random.default_rng(seed)
    return np.clip(rng.uniform(0.2, 0.8, (n, 8, 8, 3)) + shift, 0, 1)


def reference_features(net, batch):
    x = torch.round(torch.as_tensor(batch, dtype=torch.float32).permute(0, 3, 1, 2) * 255)
    with torch.no_grad():
        return net(x, return_features=True).double().numpy()


def reference_fid(fa, fb):
    ca, cb = np.cov(fa, rowvar=False), np.cov(fb, rowvar=False)
    cross = np.real(scipy.linalg.sqrtm(ca @ cb))
    return np.sum((fa.mean(0) - fb.mean(0)) ** 2) + np.trace(ca + cb - 2 * cross)


def test_loaded_file_gives_the_networks_features_and_fid(tiny_file, tiny_network):
    extractor = load_inception_2015_12_05(tiny_file)
    a, b = images(0), images(1, shift=0.1)
    np.testing.assert_allclose(extractor(a), reference_features(tiny_network, a), rtol=1e-6, atol=1e-7)
    result = fid(a, b, extractor, batch_size=16, progress=False)
    assert result.value == pytest.approx(reference_fid(reference_features(tiny_network, a), reference_features(tiny_network, b)), rel=1e-5)
    assert (result.n_a, result.n_b, result.feature_dim, result.dtype) == (40, 40, 6, "float64")
    assert "tiny.pt" in result.extractor and "299x299" in result.resizer and "256 levels" in result.input_dtype
    assert fid(a, a, extractor, progress=False).value < 1e-8


def test_kid_record_and_resize(tiny_file):
    extractor = load_torchscript_extractor(tiny_file, size=16, call_kwargs={"return_features": True}, name="tiny")
    result = kid(images(2), images(3, shift=0.3), extractor, n_subsets=5, subset_size=30, progress=False)
    assert result.metric == "KID" and result.extractor == "tiny" and result.subset_size == 30
    assert "16x16" in result.resizer
    assert result.value > 0


def test_missing_or_foreign_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="never downloads"):
        load_torchscript_extractor(tmp_path / "inception-2015-12-05.pt")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a model")
    with pytest.raises(ValueError, match="not a loadable TorchScript module"):
        load_torchscript_extractor(bad)


def test_calling_convention_is_read_from_forward(tiny_file, tmp_path):
    a = images(4, n=5)
    assert load_extractor(tiny_file)(a).shape == (5, 6)  # return_features=True: the 6 features
    plain = tmp_path / "plain.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(torch.jit.script(torch.nn.Flatten()), str(plain))
    extractor = load_extractor(plain)
    np.testing.assert_array_equal(extractor(a), np.round(a.transpose(0, 3, 1, 2) * 255).reshape(5, -1))
    assert extractor.name == "torchscript:plain.pt"
