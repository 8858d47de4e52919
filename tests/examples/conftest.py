"""The examples, the demo and README's quick start need every extra of the demo; on a core install they skip."""

import pytest

for _module in ("torch", "PIL", "matplotlib", "sklearn"):
    pytest.importorskip(_module, reason=f"{_module} is not installed; the example tests need pip install 'convexgan[test]'")
