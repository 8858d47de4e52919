"""The plotting helpers the examples and the demo use (appended to convexgan.plotting), and the report writer."""

import numpy as np
import pytest

from convexgan.plotting import signed_images
from convexgan.report import format_number, markdown_table


def test_signed_images_map_zero_to_grey_and_the_peak_to_white():
    V = np.array([[1.0, 0.0], [-0.5, 0.0], [0.25, 0.0], [-1.0, 0.0]])
    images = signed_images(V, (2, 2, 1))
    assert images.shape == (2, 2, 2, 1)
    np.testing.assert_allclose(images[0].ravel(), 0.5 + 0.5 * V[:, 0])
    np.testing.assert_allclose(images[1], 0.5)
    with pytest.raises(ValueError, match=r"V must have shape \(prod\(shape\)=9, p\)"):
        signed_images(V, (3, 3, 1))


def test_markdown_table_formats_numbers_and_escapes_pipes():
    table = markdown_table(["a", "||W||"], [[1, 0.123456789], ["x|y", None]], digits=3)
    assert table.splitlines() == [
        "| a | \\|\\|W\\|\\| |",
        "|---|---|",
        "| 1 | 0.123 |",
        "| x\\|y | - |",
    ]
    assert format_number(True) == "True" and format_number(float("nan")) == "nan"
    with pytest.raises(ValueError, match="a row has 1 cells for 2 headers"):
        markdown_table(["a", "b"], [[1]])
