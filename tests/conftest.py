"""Shared fixtures: the read-only real data beside the checkout (``../shared/data``)."""

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(os.environ.get("CONVEXGAN_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


@pytest.fixture
def shared_file():
    """Return a function mapping a file name in ``../shared/data`` to its path, skipping the test when absent."""

    def get(name):
        path = SHARED_DATA / name
        if not path.exists():
            pytest.skip(f"real data {name} not found in {SHARED_DATA} (set CONVEXGAN_SHARED_DATA)")
        return path

    return get
