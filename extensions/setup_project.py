"""Post-copy task, run inside the generated project: make it runnable right away.

Idempotent (copier update runs it again) and never fails the copy when an optional
tool is missing.
"""

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

TOKEN_LINE = "API_AUTH_TOKENS="


def create_env_file() -> None:
    """Create .env from .env.example with a fresh random API token, unless .env exists."""
    env_file, example = Path(".env"), Path(".env.example")
    if env_file.exists() or not example.exists():
        return
    lines = example.read_text().splitlines(keepends=True)
    token = f"sk-{secrets.token_urlsafe(32)}"
    text = "".join(
        f"{TOKEN_LINE}{token}\n" if line.strip() == TOKEN_LINE else line for line in lines
    )
    # It holds a secret: readable by its owner only from the moment it exists.
    descriptor = os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)


def lock_dependencies() -> None:
    """Write uv.lock when uv is installed; `uv run` would lock on first use otherwise."""
    # uv sets UV to its own binary for the commands it runs (uvx copier ...): prefer that one.
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        print("uv not found: skipping `uv lock` (uv run will create uv.lock on first use).")
        return
    # Copier runs this task in its own environment (often uvx's); the project must not
    # inherit that environment's virtualenv or interpreter pin when uv picks a Python.
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYENV_VERSION"}}
    result = subprocess.run([uv, "lock", "--quiet"], env=env, check=False)
    if result.returncode != 0:
        print(
            f"ERROR: `uv lock` failed (exit status {result.returncode}): the project has no "
            f"uv.lock and is not ready. Fix the error above, then run `uv lock` in {Path.cwd()}.",
            file=sys.stderr,
        )


def init_git_repository() -> None:
    """Put a new project under git with a first commit (`copier update` needs a git project),
    unless it is inside a repository already: that one is the user's and stays untouched."""
    if shutil.which("git") is None:
        print("git not found: the project is no git repository (copier update needs one).")
        return
    if git("rev-parse", "--is-inside-work-tree").returncode == 0:
        return
    if git("init").returncode != 0 or git("add", "--all").returncode != 0:
        print("`git init` failed: put the project under git yourself (copier update needs it).")
        return
    commit = git("commit", "--message", "Create the project from openai-api-blueprint")
    if commit.returncode == 0:
        print("Created a git repository with a first commit of the project.")
    else:  # typically: no user.name / user.email configured for git
        reason = commit.stderr.strip().splitlines()[-1:] or ["no reason given"]
        print(
            f"Created a git repository, but `git commit` failed ({reason[0]}).\n"
            "Commit the project yourself: git add --all && git commit -m 'Create the project'"
        )


def git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=False)


if __name__ == "__main__":
    create_env_file()
    lock_dependencies()
    init_git_repository()
