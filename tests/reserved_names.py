"""The names a rendered project's environment holds (import names, distributions, commands),
which the template's validators must refuse as its package name or slug: a package named like a
module it imports shadows it, a slug named like a distribution makes the project depend on
itself, a slug named like a command replaces it. extensions/reserved_names.txt lists them;
`uv run python -m tests.reserved_names <project>...` adds what rendered projects hold to it, and
tests/test_variants.py fails for a rendered project that holds a name the file lacks."""

import json
import re
import sys
from pathlib import Path

import yaml

from extensions.context import reserved_names

RESERVED_FILE = Path(__file__).parents[1] / "extensions" / "reserved_names.txt"
KINDS = ("command", "distribution", "module")

# Run with the project's own Python: what its environment (dev group included) installs.
LISTING = """
import importlib.metadata as metadata, json
distributions = list(metadata.distributions())
print(json.dumps({
    "module": sorted(metadata.packages_distributions()),
    "distribution": sorted(d.metadata["Name"] for d in distributions),
    "command": sorted(
        entry.name for d in distributions for entry in d.entry_points
        if entry.group == "console_scripts"
    ),
}))
"""
# Names a slug or a package name could have at all (the validators refuse the others anyway).
NAMEABLE = {
    "module": re.compile(r"[a-z][a-z0-9_]*"),
    "distribution": re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*"),
    "command": re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*"),
}


def normalized(kind: str, name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower() if kind == "distribution" else name


def installed_names(project: Path) -> set[tuple[str, str]]:
    """(kind, name) of every name the project's environment holds, but the project's own."""
    from .conftest import run_in  # not at import time: the module runs as a script too

    result = run_in(project, "uv", "run", "--locked", "python", "-c", LISTING)
    assert result.returncode == 0, result.stderr
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    slug, package = answers["project_slug"], answers["package_name"]
    found = {
        (kind, normalized(kind, name))
        for kind, names in json.loads(result.stdout).items()
        for name in names
    }
    return {
        (kind, name)
        for kind, name in found
        if NAMEABLE[kind].fullmatch(name)
        and name not in {slug, package}
        and not name.startswith(f"{slug}-")  # its own commands (<slug>-mock-upstream)
    }


def read_reserved(path: Path = RESERVED_FILE) -> set[tuple[str, str]]:
    """The file's names as the validators read them, as (kind, name)."""
    return {(kind, name) for kind, names in reserved_names(path).items() for name in names}


def write_reserved(names: set[tuple[str, str]], path: Path = RESERVED_FILE) -> None:
    header = [line for line in path.read_text().splitlines() if line.startswith("#")]
    body = [f"{kind} {name}" for kind, name in sorted(names)]
    path.write_text("\n".join([*header, *body]) + "\n")


def unreserved_names(project: Path) -> list[str]:
    """The names `project` holds that the file lacks, as `kind name` lines."""
    missing = installed_names(project) - read_reserved()
    return [f"{kind} {name}" for kind, name in sorted(missing)]


if __name__ == "__main__":
    found = set().union(*(installed_names(Path(arg)) for arg in sys.argv[1:]))
    added = found - read_reserved()
    write_reserved(read_reserved() | found)
    print(f"{len(added)} names added to {RESERVED_FILE}: {sorted(added)}")
