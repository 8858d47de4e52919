"""Fixtures of the robustness suite: one torch thread (the suite's tiny eigen-problems run faster unthreaded).

The property tests of the duality core run without torch (a core install); the others skip there.
"""

import pytest

try:
    import torch
except ImportError:
    torch = None


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Run each module of this folder with ``torch.set_num_threads(1)``, restoring the previous count."""
    if torch is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
