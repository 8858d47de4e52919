"""``convexgan evaluate``: every column of its table is explained, in ``--help`` and under the printed table."""

import pytest

from convexgan.cli import main
from convexgan.commands.evaluate import COLUMNS, LEGEND, format_table


def words(text):
    return " ".join(text.split())


def test_every_column_is_explained_in_the_legend():
    labels = [label for _, label, _ in COLUMNS]
    missing = [label for label in labels if f"{label} =" not in LEGEND and f"{label} (" not in LEGEND]
    assert not missing, missing
    assert "held-out images" in LEGEND and "floor row" in LEGEND


def test_help_ends_with_the_legend(capsys):
    with pytest.raises(SystemExit):
        main(["evaluate", "--help"])
    assert words(capsys.readouterr().out).endswith(words(LEGEND))


def test_the_printed_table_carries_the_legend_below_it():
    row = {key: 1.0 for key, _, _ in COLUMNS}
    result = {"run": "r", "mode": "principled", "data": "d", "n": 10, "seed": 0, "samples": "fresh", "skip": 0,
              "real_images": {"subset": "random", "indices": list(range(20)), "unseen": 30, "candidates": 40,
                              "training_images": 0},
              "stages": [{"stage": 0, "resolution": 4, "d": 48, "generated": row, "real_b": row}],
              "extractor": None, "warnings": []}
    lines = format_table(result).splitlines()
    table_end = max(i for i, line in enumerate(lines) if line.startswith("|"))
    assert LEGEND in lines[table_end + 1:]
