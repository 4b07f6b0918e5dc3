"""The template's structure: a copy-time answer is decided in a wiring file, nowhere else, and
Jinja inside the generated Python stays within a budget (see CONTRIBUTING.md)."""

import re
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[1] / "template"
# The files that wire the app and the tests together: the only Python templates with
# `if`/`elif`/`for` tags. Everywhere else, optional code is a file chosen by its name.
WIRING_FILES = {
    "src/{{ package_name }}/main.py.jinja",  # optional middleware, the backend
    "src/{{ package_name }}/__main__.py.jinja",  # process-level choices (metrics, workers)
    "src/{{ package_name }}/core/config.py.jinja",  # which settings compose Settings
    "src/{{ package_name }}/api/v1/router.py.jinja",  # which routers, behind which auth
    "src/{{ package_name }}/services/mock/backend.py.jinja",  # the mock's services
    "src/{{ package_name }}/services/{% if proxy %}gateway{% endif %}/backend.py.jinja",
    "tests/conftest.py.jinja",  # the settings and app fixtures, which plugins load
    "tests/cases/__init__.py.jinja",  # which endpoint cases are served
}
DECISION = re.compile(r"\{%-? *(if|elif|for) ")
TAG = re.compile(r"\{%|\{\{")
# Counted as the project's CONTRIBUTING.md counts them (git grep on 'template/**/*.py*').
MAX_TAGS, MAX_DECISIONS = 300, 80


def python_templates() -> list[Path]:
    return sorted(path for path in TEMPLATE.rglob("*") if path.is_file() and ".py" in path.name)


def test_decisions_only_in_wiring_files() -> None:
    outside = [
        f"{path.relative_to(TEMPLATE)}:{number}: {line.strip()}"
        for path in python_templates()
        if path.relative_to(TEMPLATE).as_posix() not in WIRING_FILES
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if DECISION.search(line)
    ]
    assert not outside, "decisions outside the wiring files:\n" + "\n".join(outside)


def test_wiring_files_exist() -> None:
    assert {path.relative_to(TEMPLATE).as_posix() for path in python_templates()} >= WIRING_FILES


def test_jinja_in_python_stays_within_budget() -> None:
    texts = [path.read_text() for path in python_templates()]
    tags = sum(len(TAG.findall(text)) for text in texts)
    decisions = sum(len(DECISION.findall(text)) for text in texts)
    assert tags <= MAX_TAGS, f"{tags} Jinja tags in Python templates (at most {MAX_TAGS})"
    assert decisions <= MAX_DECISIONS, f"{decisions} decisions (at most {MAX_DECISIONS})"
