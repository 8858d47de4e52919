"""The issue's checks on UTKFace (9,780 faces, file names ``age_gender_race_date.jpg`` sorted by age text):
a random 2,000 has the whole set's median age (the first 2,000 do not), and a histogram reference drawn at
random gives matched samples the data's mean colour."""

import io
import posixpath
import tarfile

import numpy as np
from PIL import Image

from convexgan.data import open_images
from convexgan.data.histograms import histogram_reference, match_histograms


def age(member):
    return int(posixpath.basename(member.name).split("_")[0])


def test_a_random_subset_has_the_age_distribution_of_the_whole_set(shared_file):
    source = open_images(shared_file("utkface200.tar"), n_images=2000)  # no decoding: names only
    everyone = np.array([age(m) for m in source.candidates])
    chosen = np.array([age(m) for m in source.items])
    assert len(everyone) == 9780 and len(chosen) == 2000
    assert abs(np.median(chosen) - np.median(everyone)) <= 2
    assert abs(np.median(everyone[:2000]) - np.median(everyone)) > 10  # the first 2,000 (older versions) do not


def test_histogram_matched_samples_get_the_data_mean_colour(shared_file):
    path = shared_file("utkface200.tar")
    # the whole set's mean colour, independently: JPEG DC coefficients (1/8-scale decode) average 8x8 blocks,
    # and 200 = 25 x 8, so their mean is the full frame's mean up to the 8-bit rounding of each block
    with tarfile.open(path) as tar:
        means = []
        for member in tar:
            if member.isfile() and member.name.endswith(".jpg"):
                image = Image.open(io.BytesIO(tar.extractfile(member).read()))
                image.draft("RGB", (25, 25))
                means.append(np.asarray(image.convert("RGB"), np.float64).reshape(-1, 3).mean(0))
    data_mean = np.mean(means, axis=0)
    assert len(means) == 9780
    rng = np.random.default_rng(0)
    samples = np.clip(rng.normal([0.3, 0.4, 0.7], 0.2, (64, 16, 16, 3)), 0, 1)  # a blue cast, as in the issue
    config = {"crop": "none", "resolutions": [4, 8, 16]}
    matched = match_histograms(samples, histogram_reference(path, 16, config, n=1000, seed=0))
    # 3/255: the bound; a random 1,000 of 9,780 faces has a mean within about 1/255 (std of an image's
    # mean colour ~ 30/255, over sqrt(1000))
    np.testing.assert_allclose(255 * matched.reshape(-1, 3).mean(0), data_mean, atol=3)
