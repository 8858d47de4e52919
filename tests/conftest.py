"""Shared settings and fixtures: Hypothesis profiles, the read-only real data beside the checkout (``../shared/data``).

Hypothesis runs the ``ci`` profile (derandomized: the same examples on every run) when the environment variable
``CI`` is set, as ``.ci/run`` runs, and the ``dev`` profile (fresh random examples each run) otherwise; choose
one explicitly with ``pytest --hypothesis-profile=ci``. Tests set their own ``max_examples`` and ``deadline``.
"""

import os
from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", derandomize=False)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

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
