import numpy as np
import torch

from convexgan.progressive.model.generator import ProgressiveGenerator, StageWeights


def random_generator(seed=0, channels=3):
    """Two stages with random factors: 2x2 (3 fresh columns and the constant) -> 4x4 (2 fresh columns)."""
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)
    d0, d1 = 4 * channels, 16 * channels
    s0 = StageWeights(2, channels, r(d0), r(4, 3), r(d0, 3), fresh=3, scale=1.0, ones=True)
    s1 = StageWeights(4, channels, r(d1), r(d1 + 2, 5), r(d1, 5), fresh=2, scale=0.5, ones=False)
    return ProgressiveGenerator([s0, s1])


def test_module_equals_sample_and_scripts(tmp_path):
    gen = random_generator()
    module = gen.to_module()
    assert (module.latent_size, module.resolution, module.channels, module.pixel_order) == (5, 4, 3, "NCHW")
    z = torch.from_numpy(gen.latents(16, seed=3))
    expected = gen.sample(16, seed=3).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(module(z).numpy(), expected, rtol=1e-6, atol=1e-6 * np.abs(expected).max())
    path = tmp_path / "g.pt"
    torch.jit.script(module).save(str(path))
    loaded = torch.jit.load(str(path))
    np.testing.assert_allclose(loaded(z).numpy(), expected, rtol=1e-6, atol=1e-6 * np.abs(expected).max())


def test_module_of_an_earlier_stage_and_affine_map_mean():
    gen = random_generator(seed=1, channels=1)
    module = gen.to_module(0)
    z = torch.from_numpy(gen.latents(8, seed=0, stage=0))
    F, b = gen.affine_map(0)
    independent = (z @ F + b + gen.stages[0].mean).reshape(8, 2, 2, 1).permute(0, 3, 1, 2)
    np.testing.assert_allclose(module(z).numpy(), independent.numpy(), rtol=1e-6, atol=1e-12)


def test_npz_and_safetensors_rebuild_the_samples(tmp_path):
    from convexgan.commands.export import export_generator

    gen = random_generator(seed=2)
    z = gen.latents(8, seed=5)
    expected = gen.sample(8, seed=5)
    with np.load(export_generator(gen, "npz", tmp_path / "g.npz")) as f:
        r, c = int(f["resolution"]), int(f["channels"])
        x = (z @ f["F"] + f["b"] + f["mean"]).reshape(-1, r, r, c)
    np.testing.assert_allclose(x, expected, rtol=1e-6, atol=1e-6 * np.abs(expected).max())
    st = __import__("pytest").importorskip("safetensors.torch", reason="safetensors is not installed")
    t = st.load_file(str(export_generator(gen, "safetensors", tmp_path / "g.safetensors")))
    x = (torch.from_numpy(z) @ t["F"] + t["b"] + t["mean"]).reshape(-1, 4, 4, 3).numpy()
    np.testing.assert_allclose(x, expected, rtol=1e-6, atol=1e-6 * np.abs(expected).max())


def test_onnx_equals_sample(tmp_path):
    import pytest

    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install 'convexgan[export]')")
    pytest.importorskip("onnx", reason="onnx is not installed (pip install 'convexgan[export]')")
    from convexgan.commands.export import export_generator

    gen = random_generator(seed=4)
    z = gen.latents(8, seed=6)
    expected = gen.sample(8, seed=6).transpose(0, 3, 1, 2)
    session = ort.InferenceSession(str(export_generator(gen, "onnx", tmp_path / "g.onnx")))
    (x,) = session.run(None, {"z": z})
    np.testing.assert_allclose(x, expected, rtol=1e-6, atol=1e-6 * np.abs(expected).max())
