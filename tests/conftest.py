"""Helpers for the meta-tests: render the template, run a rendered project's own checks."""

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pytest_copie.plugin import Copie, Result

# The checks the generated project's own CI runs, in order.
PROJECT_CHECKS = (
    ("uv", "sync", "--locked"),
    ("uv", "run", "--locked", "ruff", "check"),
    ("uv", "run", "--locked", "ruff", "format", "--check"),
    ("uv", "run", "--locked", "mypy", "--strict", "src", "tests"),
    ("uv", "run", "--locked", "pytest", "-p", "no:cacheprovider"),
)


def project_env() -> dict[str, str]:
    """The environment for commands run inside a rendered project: its own venv, not ours."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("VIRTUAL_ENV")}
    env.pop("PYTHONPATH", None)
    env["UV_NO_PROGRESS"] = "1"
    return env


def run_in(project_dir: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=project_dir, env=project_env(), capture_output=True, text=True, check=False
    )


def run_project_checks(project_dir: Path) -> None:
    """Run every check of the rendered project; fail with its output at the first failure."""
    for command in PROJECT_CHECKS:
        result = run_in(project_dir, *command)
        if result.returncode != 0:
            pytest.fail(
                f"`{' '.join(command)}` failed in {project_dir} (exit {result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}",
                pytrace=False,
            )


def render(copie: Copie, **answers: Any) -> Path:
    """Render the template with `answers` (defaults for the rest); fail if copier fails."""
    result: Result = copie.copy(extra_answers={"project_name": "Demo API", **answers})
    if result.exit_code != 0 or result.project_dir is None:
        pytest.fail(f"copier failed for {answers}: {result.exception!r}", pytrace=False)
    return result.project_dir


def rendered_files(project_dir: Path) -> set[str]:
    """Paths of the rendered files, relative to the project, without git and tool output."""
    ignored = {".git", ".venv", ".mypy_cache", ".pytest_cache", ".ruff_cache", "__pycache__"}
    return {
        path.relative_to(project_dir).as_posix()
        for path in project_dir.rglob("*")
        if path.is_file() and not ignored & set(path.relative_to(project_dir).parts)
    }
