"""`benchmarks/run.py --write-readme` publishes into README.md's marked blocks (readme.py)."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import readme  # noqa: E402 - from benchmarks/, which is not a package


def test_readme_has_one_block_per_report() -> None:
    text = (ROOT / "README.md").read_text()

    for name in ("mock", "gateway"):
        start, end = readme.markers(name)
        assert text.count(start) == 1
        assert text.count(end) == 1
        assert text.index(start) < text.index(end)


def test_write_blocks_replaces_only_the_reports_measured(tmp_path: Path) -> None:
    page = tmp_path / "README.md"
    mock, gateway = readme.markers("mock"), readme.markers("gateway")
    page.write_text(
        f"intro\n{mock[0]}\nold mock\n{mock[1]}\ntext\n{gateway[0]}\nold\n{gateway[1]}\n"
    )

    readme.write_blocks({"mock": "| new | table |\n"}, page)

    assert page.read_text() == (
        f"intro\n{mock[0]}\n| new | table |\n{mock[1]}\ntext\n{gateway[0]}\nold\n{gateway[1]}\n"
    )


def test_write_blocks_writes_nothing_without_the_markers(tmp_path: Path) -> None:
    page = tmp_path / "README.md"
    page.write_text(f"intro\n{readme.markers('mock')[0]}\nold\n")

    with pytest.raises(ValueError, match="benchmark:mock"):
        readme.write_blocks({"mock": "new"}, page)
    assert page.read_text() == f"intro\n{readme.markers('mock')[0]}\nold\n"
