"""README's quick start is executed, so it cannot drift from the code: every ```python block under the
"Quick start" heading runs, in order, in one namespace, in a temporary working directory."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def quick_start_blocks(text, title="quick start"):
    """The ```python code blocks of the section whose heading is ``title`` (case-insensitive), up to the next
    heading of the same or a higher level; ``None`` when there is no such heading."""
    blocks, level, block = [], None, None
    fenced = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            if block is not None:
                blocks.append("\n".join(block) + "\n")
                block = None
            elif level is not None and stripped[3:].strip().lower() in ("python", "py"):
                block = []
            fenced = not fenced
            continue
        if block is not None:
            block.append(line)
            continue
        match = None if fenced else HEADING.match(line)
        if match:
            depth = len(match.group(1))
            if level is not None and depth <= level:
                break
            if level is None and match.group(2).lower() == title:
                level = depth
    return blocks if level is not None else None


def test_extraction_keeps_only_python_blocks_of_the_section():
    text = (
        "# T\n```python\nbefore = 1\n```\n## Quick start\ntext\n```bash\nls\n```\n```python\na = 1\n```\n"
        "### Sub\n```python\nb = a + 1\n```\n## Next\n```python\nafter = 1\n```\n"
    )
    assert quick_start_blocks(text) == ["a = 1\n", "b = a + 1\n"]
    assert quick_start_blocks("# T\n## Install\n```python\nx = 1\n```\n") is None


def test_readme_quick_start_runs(tmp_path, monkeypatch):
    blocks = quick_start_blocks(README.read_text())
    if blocks is None:
        pytest.fail(f"{README} has no 'Quick start' heading; the quick start must be there and executable")
    assert blocks, "the README's Quick start section has no ```python block"
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__readme__"}
    for index, block in enumerate(blocks):
        exec(compile(block, f"README.md quick start block {index + 1}", "exec"), namespace)
