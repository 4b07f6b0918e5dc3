"""Publishing: `run.py --write-readme` puts the tables it printed into the template's README.

Each report of a run (the mock against its ceilings, the gateway against its upstream) goes
between its own pair of marker comments, so a run of some modes replaces only what it measured
and leaves the other block as its own run wrote it. Every block starts with the command, the
date and the machine: the ratios are the claim, the absolute figures belong to that machine.
"""

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def markers(name: str) -> tuple[str, str]:
    return f"<!-- benchmark:{name} start -->", f"<!-- benchmark:{name} end -->"


def replace_block(text: str, name: str, block: str) -> str:
    """`text` with what is between `name`'s markers replaced by `block`."""
    start, end = markers(name)
    pattern = re.compile(re.escape(start) + r"\n.*?" + re.escape(end), re.DOTALL)
    if len(pattern.findall(text)) != 1:
        raise ValueError(f"README.md: expected one pair of markers {start} ... {end}")
    return pattern.sub(lambda _: f"{start}\n{block.strip()}\n{end}", text)


def write_blocks(blocks: dict[str, str], readme: Path = README) -> None:
    """Write each report into its block of `readme` (all or, on a missing marker, none)."""
    text = readme.read_text()
    for name, block in blocks.items():
        text = replace_block(text, name, block)
    readme.write_text(text)
