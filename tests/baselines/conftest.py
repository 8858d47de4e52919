"""Fixtures of the baseline tests."""

import pytest

for _module in ("torch", "PIL", "matplotlib", "sklearn"):
    pytest.importorskip(_module, reason=f"{_module} is not installed; the baseline tests need pip install 'convexgan[test]'")

import torch  # noqa: E402


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Run each test with one intra-op torch thread, then restore the setting.

    The baselines' tensors are tiny; on a loaded 2-core machine intra-op threads made these tests 5-10x slower.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
