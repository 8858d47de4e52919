"""Image sources: folders, tar archives, .npz and IDX arrays give the same pixels; order, crop, filters, errors."""

import gzip
import io
import struct
import tarfile
import warnings

import numpy as np
import pytest
from PIL import Image

from convexgan.data import load_images, open_images, read_idx, toy_images
from convexgan.data.frames import RESAMPLING, celeba_crop_box
from convexgan.exceptions import SquashedFramesWarning


def write_pngs(folder, images, names=None):
    folder.mkdir(parents=True, exist_ok=True)
    names = names or [f"{i:06d}.png" for i in range(len(images))]
    for name, image in zip(names, images):
        Image.fromarray(image if image.shape[2] == 3 else image[:, :, 0]).save(folder / name)
    return folder


def test_folder_tar_and_array_give_the_same_pixels(tmp_path):
    images = toy_images(12, 20, seed=1)
    folder = write_pngs(tmp_path / "imgs", images)
    archive = tmp_path / "imgs.tar"
    with tarfile.open(archive, "w") as tar:
        for path in sorted(folder.iterdir(), reverse=True):
            tar.add(path, arcname=f"imgs/{path.name}")
    a = load_images(folder, 8)
    b = load_images(archive, 8)
    c = load_images(images, 8)
    expected = np.stack([np.asarray(Image.fromarray(im).resize((8, 8), RESAMPLING), np.float32) / 255 for im in images])
    np.testing.assert_array_equal(a, expected)
    np.testing.assert_array_equal(b, expected)
    np.testing.assert_array_equal(c, expected)


def test_sorted_order_first_n_and_two_step_resize(tmp_path):
    images = toy_images(5, 32, seed=2)
    names = ["c.png", "a.png", "e.png", "b.png", "d.png"]
    folder = write_pngs(tmp_path / "f", images, names)
    got = load_images(folder, 4, n_images=2, subset="first")
    order = np.argsort(names)[:2]
    big = [Image.fromarray(images[i]).resize((16, 16), RESAMPLING) for i in order]
    expected = np.stack([np.asarray(im.resize((4, 4), RESAMPLING), np.float32) / 255 for im in big])
    chunk = next(open_images(folder, n_images=2, subset="first").iter_chunks([4, 16], 8))
    np.testing.assert_array_equal(chunk[4], expected)
    np.testing.assert_array_equal(got, np.stack([np.asarray(Image.fromarray(images[i]).resize((4, 4), RESAMPLING),
                                                            np.float32) / 255 for i in order]))


def test_celeba_crop_box_is_the_official_one():
    assert celeba_crop_box(178, 218) == (89 - 64, 121 - 64, 89 + 64, 121 + 64)
    assert celeba_crop_box(89, 109) == (12, 28, 76, 92)


def test_crop_takes_the_centre_box(tmp_path):
    image = np.zeros((218, 178, 3), np.uint8)
    image[57:185, 25:153] = 200
    folder = write_pngs(tmp_path / "c", image[None])
    np.testing.assert_allclose(load_images(folder, 8, crop=True), 200 / 255, atol=1e-6)
    with pytest.warns(SquashedFramesWarning, match="1 of the images"):
        assert load_images(folder, 8).min() == 0


def test_unreadable_images_are_skipped_with_a_count_or_stop_in_strict_mode(tmp_path):
    folder = write_pngs(tmp_path / "f", toy_images(6, 8, seed=3))
    (folder / "000002.png").write_bytes(b"not an image")
    (folder / "000004.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    source = open_images(folder)
    with pytest.warns(UserWarning, match="skipped 2 unreadable image"):
        chunks = list(source.iter_chunks([4], 4))
    assert source.skipped == 2
    assert sum(len(c[4]) for c in chunks) == 4
    with pytest.raises(ValueError, match="000002.png"):
        list(open_images(folder, strict=True).iter_chunks([4], 4))


def test_missing_empty_and_unknown_sources_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        open_images(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no images"):
        open_images(tmp_path / "empty")
    (tmp_path / "x.bin").write_bytes(b"\x01\x02\x03\x04hello")
    with pytest.raises(ValueError, match="not a folder, tar archive, .npz or IDX"):
        open_images(tmp_path / "x.bin")


def test_attribute_filter_keeps_the_matching_files(tmp_path):
    root = tmp_path / "celeba"
    folder = write_pngs(root / "img_align_celeba", toy_images(4, 8, seed=4), [f"00000{i}.jpg".replace(".jpg", ".png")
                                                                                for i in range(1, 5)])
    lines = ["4", "Smiling Male", "000001.png  1 -1", "000002.png -1 -1", "000003.png  1  1", "000004.png -1  1"]
    (root / "list_attr_celeba.txt").write_text("\n".join(lines) + "\n")
    source = open_images(root, attributes={"Smiling": True, "Male": False})
    assert [p.name for p in source.items] == ["000001.png"]
    assert [p.name for p in open_images(folder, attributes={"Male": True}).items] == ["000003.png", "000004.png"]
    with pytest.raises(ValueError, match="'Bald' is not in"):
        open_images(root, attributes={"Bald": True})


def write_idx(path, array):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)


def test_idx_and_npz_round_trip(tmp_path):
    digits = np.random.default_rng(5).integers(0, 256, size=(7, 28, 28), dtype=np.uint8)
    write_idx(tmp_path / "train-images-idx3-ubyte", digits)
    write_idx(tmp_path / "t10k.idx.gz", digits)
    np.testing.assert_array_equal(read_idx(tmp_path / "train-images-idx3-ubyte"), digits)
    np.testing.assert_array_equal(read_idx(tmp_path / "t10k.idx.gz"), digits)
    np.savez(tmp_path / "d.npz", x_train=digits, y_train=np.arange(7))
    expected = load_images(digits, 16)
    assert expected.shape == (7, 16, 16, 1)
    np.testing.assert_array_equal(load_images(tmp_path / "d.npz", 16), expected)
    np.testing.assert_array_equal(load_images(tmp_path / "train-images-idx3-ubyte", 16), expected)
    (tmp_path / "bad-idx").write_bytes(struct.pack(">BBBBI", 0, 0, 8, 1, 10) + b"abc")
    with pytest.raises(ValueError, match="implies"):
        read_idx(tmp_path / "bad-idx")


def test_sixteen_bit_images_are_scaled_not_clipped(tmp_path):
    pixels = np.full((8, 8), 32768, dtype=np.uint16)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    (tmp_path / "f").mkdir()
    (tmp_path / "f" / "a.png").write_bytes(buffer.getvalue())
    np.testing.assert_allclose(load_images(tmp_path / "f", 8), np.rint(32768 / 257) / 255, atol=1e-6)


def test_shared_mnist_npz_matches_a_direct_resize(shared_file):
    path = shared_file("mnist.npz")
    with np.load(path) as f:
        first = f["x_train"][:3]
    got = load_images(path, 16, n_images=3, subset="first")
    expected = np.stack([np.asarray(Image.fromarray(x).resize((16, 16), RESAMPLING), np.float32) / 255 for x in first])
    np.testing.assert_array_equal(got[..., 0], expected)


def test_shared_celeba_tar_is_read_in_sorted_order(shared_file):
    path = shared_file("celeba10k_89x109.tar")
    source = open_images(path, n_images=3, subset="first")
    assert [m.name for m in source.items] == [f"celeba10k_89x109/00000{i}.jpg" for i in (1, 2, 3)]
    with tarfile.open(path) as tar, warnings.catch_warnings():
        warnings.simplefilter("error")
        raw = Image.open(io.BytesIO(tar.extractfile("celeba10k_89x109/000001.jpg").read())).convert("RGB")
    expected = np.asarray(raw.resize((8, 8), RESAMPLING), np.float32) / 255
    with pytest.warns(SquashedFramesWarning, match="3 of the images .* are not square"):
        np.testing.assert_array_equal(load_images(source, 8)[0], expected)
