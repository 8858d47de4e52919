"""The image sources need Pillow (the ``train`` extra); on a core install these tests skip with the reason."""

import pytest

pytest.importorskip("PIL", reason="Pillow is not installed; the image-source tests need pip install 'convexgan[train]'")
