"""Fixtures of the robustness suite: one torch thread (the suite's tiny eigen-problems run faster unthreaded)."""

import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Run each module of this folder with ``torch.set_num_threads(1)``, restoring the previous count."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
