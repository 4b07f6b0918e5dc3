"""Post-copy task, run inside the generated project: make it runnable right away.

Idempotent (copier update runs it again) and never fails the copy when an optional
tool is missing.
"""

import os
import secrets
import shutil
import subprocess
from pathlib import Path

TOKEN_LINE = "API_AUTH_TOKENS="


def create_env_file() -> None:
    """Create .env from .env.example with a fresh random API token, unless .env exists."""
    env_file, example = Path(".env"), Path(".env.example")
    if env_file.exists() or not example.exists():
        return
    lines = example.read_text().splitlines(keepends=True)
    token = f"sk-{secrets.token_urlsafe(32)}"
    env_file.write_text(
        "".join(f"{TOKEN_LINE}{token}\n" if line.strip() == TOKEN_LINE else line for line in lines)
    )
    env_file.chmod(0o600)  # it holds a secret: readable by its owner only


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
        print("`uv lock` failed; run it yourself inside the project.")


if __name__ == "__main__":
    create_env_file()
    lock_dependencies()
