"""Seeded subsets (stable, nested, 'first' as before), the candidate list's hash, include/class filters, crops,
the squashed-frames warning and EXIF orientation."""

import hashlib
import tarfile
import warnings

import numpy as np
import pytest
from PIL import Image

from convexgan.data import load_images, open_images, toy_images
from convexgan.data.frames import RESAMPLING, celeba_crop_box, crop_method
from convexgan.data.subsets import choose_subset, draw_held_out, list_sha256
from convexgan.exceptions import SquashedFramesWarning


def independent_subset(count, n, seed):
    """The random subset recomputed from the documented rule with hashlib only (no numpy)."""
    key = lambda i: (hashlib.sha256(f"subset:{seed}:{i}".encode()).digest()[:8], i)  # noqa: E731
    return sorted(sorted(range(count), key=key)[:n])


def write_images(folder, names, size=(12, 12), seed=0):
    rng = np.random.default_rng(seed)
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(path)
    return folder


def test_random_subset_is_stable_nested_and_matches_the_documented_rule():
    # known values (stable across numpy versions: only SHA-256 is involved)
    assert choose_subset(10, 3, seed=0).tolist() == [0, 3, 9]
    assert choose_subset(10, 3, seed=1).tolist() == [2, 5, 6]
    for count, n, seed in [(50, 7, 0), (50, 7, 12345), (333, 100, 2**40)]:
        assert choose_subset(count, n, seed=seed).tolist() == independent_subset(count, n, seed)
    small, large = choose_subset(1000, 100, seed=4), choose_subset(1000, 400, seed=4)
    assert set(small) <= set(large) and list(large) == sorted(large)
    assert choose_subset(10, 3, subset="first").tolist() == [0, 1, 2]
    assert choose_subset(10, None).tolist() == choose_subset(10, 50).tolist() == list(range(10))
    with pytest.raises(ValueError, match="subset='any' must be one of 'random', 'first'"):
        choose_subset(10, 3, subset="any")


def test_held_out_draw_takes_unseen_candidates_first():
    used = choose_subset(100, 70, seed=0)
    drawn, unseen = draw_held_out(100, 20, used=used, seed=0)
    assert unseen == 30 and len(set(drawn)) == 20 and not set(drawn) & set(used)
    drawn, unseen = draw_held_out(100, 40, used=used, seed=0)
    assert len(set(drawn)) == 40 and set(drawn) >= set(range(100)) - set(used)


def test_sources_choose_seeded_subsets_and_record_indices_and_list_hash(tmp_path):
    names = [f"{c}/{i:03d}.png" for c in ("b", "a") for i in range(15)]
    folder = write_images(tmp_path / "f", names)
    ordered = sorted(names)
    source = open_images(folder, n_images=8, seed=5)
    chosen = independent_subset(30, 8, 5)
    assert [p.relative_to(folder).as_posix() for p in source.items] == [ordered[i] for i in chosen]
    assert source.selection["indices"] == chosen and source.selection["candidates"] == 30
    listing = "".join(name + "\n" for name in ordered).encode()
    assert source.selection["candidates_sha256"] == hashlib.sha256(listing).hexdigest()
    first = open_images(folder, n_images=8, subset="first")
    assert [p.relative_to(folder).as_posix() for p in first.items] == ordered[:8]  # the old behaviour
    assert first.selection["candidates_sha256"] == source.selection["candidates_sha256"]

    archive = tmp_path / "f.tar"
    with tarfile.open(archive, "w") as tar:
        for name in reversed(names):
            tar.add(folder / name, arcname=f"root/{name}")
    in_tar = open_images(archive, n_images=8, seed=5)
    assert [m.name for m in in_tar.items] == [f"root/{ordered[i]}" for i in chosen]
    assert in_tar.selection["candidates_sha256"] == list_sha256(f"root/{name}" for name in ordered)
    np.testing.assert_array_equal(load_images(in_tar, 4), load_images(source, 4))
    assert [m.name for m in open_images(archive, classes="a").items] == [f"root/a/{i:03d}.png" for i in range(15)]
    dotted = tmp_path / "dotted.tar"
    with tarfile.open(dotted, "w") as tar:
        tar.add(folder / "b/003.png", arcname="./b/003.png")
    assert len(open_images(dotted, include="b/*", classes="b")) == 1

    images = toy_images(20, 6, seed=1)
    array = open_images(images, n_images=5, seed=2)
    assert array.items == independent_subset(20, 5, 2)
    other = images.copy()
    other[3, 0, 0, 0] ^= 1
    assert open_images(other).selection["candidates_sha256"] != array.selection["candidates_sha256"]
    with pytest.raises(ValueError, match="include=.* selects files by name; image array is an array"):
        open_images(images, include="*.png")


def test_include_and_class_filters_and_their_errors(tmp_path):
    names = [f"train/{c}/{i}.png" for c in ("cat", "dog", "horse") for i in range(4)] + ["test/horse/9.png"]
    folder = write_images(tmp_path / "cifar", names)
    horses = open_images(folder, classes="horse")
    assert [p.relative_to(folder).as_posix() for p in horses.items] == ["test/horse/9.png"] + [
        f"train/horse/{i}.png" for i in range(4)]
    train_horses = open_images(folder, include="train/*", classes=["horse", "cat"], n_images=3, seed=1)
    candidates = [f"train/cat/{i}.png" for i in range(4)] + [f"train/horse/{i}.png" for i in range(4)]
    assert [p.relative_to(folder).as_posix() for p in train_horses.items] == [
        candidates[i] for i in independent_subset(8, 3, 1)]
    assert len(open_images(folder, include=["*/dog/*", "test/*"])) == 5
    nested = write_images(tmp_path / "nested", ["horse/female/1.png", "horse/2.png", "zebra/horse.png"])
    assert [p.relative_to(nested).as_posix() for p in open_images(nested, classes="horse").items] == [
        "horse/2.png", "horse/female/1.png"]  # any folder on the path; a file's own name is not a folder
    assert len(open_images(nested, classes=["female", "zebra"])) == 2
    assert len(open_images(folder, classes="train")) == 12
    with pytest.raises(ValueError, match=r"class 'hors' is not a folder .*its classes are: cat, dog, horse, test, "
                                         r"train"):
        open_images(folder, classes="hors")
    with pytest.raises(ValueError, match=r"include=\['\*\.jpg'\] matches none of the 13 images .*e\.g\. test/horse"):
        open_images(folder, include="*.jpg")
    flat = write_images(tmp_path / "flat", ["a.png", "b.png"])
    with pytest.raises(ValueError, match="its classes are: none: the images lie at the top level"):
        open_images(flat, classes="a")


def test_crops_center_celeba_none_and_the_squash_warning(tmp_path):
    rng = np.random.default_rng(0)
    wide = rng.integers(0, 256, (100, 300, 3), dtype=np.uint8)  # 300 x 100 frame
    square = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)
    folder = tmp_path / "f"
    folder.mkdir()
    Image.fromarray(wide).save(folder / "a_wide.png")
    Image.fromarray(square).save(folder / "b_square.png")
    Image.fromarray(wide[:, :150]).save(folder / "c_wide.png")
    manual = Image.fromarray(wide).crop((100, 0, 200, 100)).resize((8, 8), RESAMPLING)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SquashedFramesWarning)
        centred = load_images(folder, 8, crop="center")
    np.testing.assert_array_equal(centred[0], np.asarray(manual, np.float32) / 255)
    np.testing.assert_array_equal(centred[1], np.asarray(Image.fromarray(square).resize((8, 8), RESAMPLING),
                                                         np.float32) / 255)
    source = open_images(folder)
    with pytest.warns(SquashedFramesWarning, match=r"2 of the images .* not square \(first: .*a_wide\.png\)"):
        squashed = np.concatenate([c[8] for c in source.iter_chunks([8], chunk_size=1)])
    assert source.squashed == 2
    np.testing.assert_array_equal(squashed[0], np.asarray(Image.fromarray(wide).resize((8, 8), RESAMPLING),
                                                          np.float32) / 255)
    with pytest.warns(SquashedFramesWarning, match="^2 of the images"):  # counted again, once per pass
        list(source.iter_chunks([4]))
    celeba = np.asarray(Image.fromarray(wide).crop(celeba_crop_box(300, 100)).resize((8, 8), RESAMPLING))
    np.testing.assert_array_equal(load_images(folder, 8, crop=True)[0], celeba.astype(np.float32) / 255)
    assert [crop_method(c) for c in (True, False, None, "center")] == ["celeba", "none", "none", "center"]
    with pytest.raises(ValueError, match="crop='middle' must be one of 'none', 'center', 'celeba'"):
        open_images(folder, crop="middle")


def test_exif_orientation_is_applied_before_the_crop(tmp_path):
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, (30, 60, 3), dtype=np.uint8)  # stored 60 wide, 30 high
    exif = Image.Exif()
    exif[0x0112] = 6  # display rotated 90 degrees clockwise: 30 wide, 60 high
    folder = tmp_path / "f"
    folder.mkdir()
    Image.fromarray(pixels).save(folder / "a.png", exif=exif)
    upright = np.rot90(pixels, -1)
    expected = Image.fromarray(np.ascontiguousarray(upright)).crop((0, 15, 30, 45)).resize((6, 6), RESAMPLING)
    np.testing.assert_array_equal(load_images(folder, 6, crop="center")[0], np.asarray(expected, np.float32) / 255)
