"""Helpers for the meta-tests: render the template, run a rendered project's own checks."""

import contextlib
import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
import yaml
from pytest_copie.plugin import Copie, Result

from .helm_chart import check_chart

# The checks the generated project's own CI runs, in order.
PROJECT_CHECKS = (
    ("uv", "sync", "--locked"),
    ("uv", "run", "--locked", "ruff", "check"),
    ("uv", "run", "--locked", "ruff", "format", "--check"),
    ("uv", "run", "--locked", "mypy", "--strict", "src", "tests"),
    ("uv", "run", "--locked", "pytest", "-p", "no:cacheprovider"),
)


# mypy spends most of a variant's check time on the dependencies (fastapi, pydantic, the openai
# SDK), which are the same in every variant. One cache per xdist worker (no two processes write
# one cache) is reused by every variant that worker checks: mypy re-checks a module whose
# source changed (it compares content hashes), so a cached result is never a stale one. The
# cache is per checkout too: test runs of other checkouts on the machine (other worktrees, a
# CI clone) may run at the same time, and their workers of the same name must not share it.
CHECKOUT_ID = hashlib.sha256(str(Path(__file__).resolve().parents[1]).encode()).hexdigest()[:12]
MYPY_CACHE = Path(tempfile.gettempdir()) / f"blueprint-mypy-{os.getuid()}-{CHECKOUT_ID}"


def project_env() -> dict[str, str]:
    """The environment for commands run inside a rendered project: its own venv, not ours."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("VIRTUAL_ENV")}
    env.pop("PYTHONPATH", None)
    env["UV_NO_PROGRESS"] = "1"
    # The projects' Redis tests must run here (their dev environment brings the server), not skip.
    env["REDIS_TESTS_REQUIRED"] = "1"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    env["MYPY_CACHE_DIR"] = str(MYPY_CACHE / worker)
    return env


def set_git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commits (the setup task's first commit of a project, the update tests' own) must not
    depend on this machine's git configuration."""
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Meta Test")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "meta-test@example.com")


@pytest.fixture(autouse=True)
def git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    set_git_identity(monkeypatch)


def skip_unless_ci(reason: str) -> NoReturn:
    """Skip, saying why; in CI (`CI=true`, as GitHub Actions and most CI systems set it) fail
    instead, so that a check CI could not run does not pass for one that ran."""
    if os.environ.get("CI", "").lower() in {"true", "1"}:
        pytest.fail(f"{reason} (not skipped: CI=true)", pytrace=False)
    pytest.skip(reason)


def git(repo: Path, *args: str) -> str:
    """A git command's output in `repo`; raises if git fails."""
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


def run_in(project_dir: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=project_dir, env=project_env(), capture_output=True, text=True, check=False
    )


# The generated project's soak test (marked, so its default pytest run leaves it out).
SOAK_CHECK = (
    ("uv", "run", "--locked", "pytest", "-p", "no:cacheprovider", "-m", "soak", "--no-cov"),
)


def run_project_checks(
    project_dir: Path, commands: tuple[tuple[str, ...], ...] = PROJECT_CHECKS
) -> None:
    """Run the checks of the rendered project (default: every one of its own); fail with its
    output at the first failure."""
    for command in commands:
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
    # The setup task's `uv lock` never fails the copy (it says so instead): catch it here.
    if not (result.project_dir / "uv.lock").exists():
        pytest.fail(f"the setup task's `uv lock` failed for {answers}", pytrace=False)
    return result.project_dir


# The default project (no answer but its name) is rendered, synced and served once per test
# session for the meta-tests that use it as it is: the SDK clients, the browser, its layout.
# Each of them carries this mark, so that `--dist loadgroup` (pyproject.toml) runs them all on one
# xdist worker, the one whose session fixtures hold the project and its server.
SHARES_DEFAULT_PROJECT = pytest.mark.xdist_group("default_project")
# The shared server's API tokens: one for each client test, so each one's requests count against
# its own key's rate limits, as when each test served the project for itself.
JS_SDK_TOKEN = "js-sdk-token"
AGENTS_SDK_TOKEN = "agents-sdk-token"
PYDANTIC_AI_TOKEN = "pydantic-ai-token"


@pytest.fixture(scope="session")
def default_project(copie_session: Copie) -> Path:
    """The default project, rendered (its setup task locks and commits it) once per session."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        set_git_identity(monkeypatch)  # the function-scoped autouse fixture is not set up yet
        return render(copie_session)


@pytest.fixture(scope="session")
def default_server(default_project: Path) -> Iterator[str]:
    """The default project served by uvicorn on a free local port until the session ends, with
    every client test's token; yields its base URL."""
    tokens = f"{JS_SDK_TOKEN},{AGENTS_SDK_TOKEN},{PYDANTIC_AI_TOKEN}"
    with serve(default_project, {"API_AUTH_TOKENS": tokens}) as url:
        yield url


@pytest.fixture(scope="session")
def default_gateway(copie_session: Copie, default_server: str) -> Iterator[str]:
    """A gateway project (the default one, but `backend=openai_proxy`) served in front of the
    default server until the session ends, for the agents' token; yields its base URL."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        set_git_identity(monkeypatch)
        project = render(copie_session, backend="openai_proxy")
    upstream = {"UPSTREAM_BASE_URL": f"{default_server}/v1", "UPSTREAM_API_KEY": AGENTS_SDK_TOKEN}
    with serve(project, {"API_AUTH_TOKENS": AGENTS_SDK_TOKEN, **upstream}) as url:
        yield url


def rendered_files(project_dir: Path) -> set[str]:
    """Paths of the rendered files, relative to the project, without git and tool output."""
    ignored = {".git", ".venv", ".mypy_cache", ".pytest_cache", ".ruff_cache", "__pycache__"}
    return {
        path.relative_to(project_dir).as_posix()
        for path in project_dir.rglob("*")
        if path.is_file() and not ignored & set(path.relative_to(project_dir).parts)
    }


def dev_tool(name: str) -> str:
    """A command-line tool installed in the template's own dev environment."""
    return str(Path(sys.executable).parent / name)


def check_tool(*command: str) -> None:
    """Run a validator; fail with its output unless it passes."""
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(
            f"`{' '.join(command)}` failed:\n{result.stdout}\n{result.stderr}", pytrace=False
        )


def workflow_scripts(workflow: Path) -> list[str]:
    """The shell scripts of a GitHub Actions workflow's `run:` steps."""
    document = yaml.safe_load(workflow.read_text())
    return [
        step["run"] for job in document["jobs"].values() for step in job["steps"] if "run" in step
    ]


def check_workflow(workflow: Path, scripts_dir: Path) -> None:
    """Validate a workflow against GitHub's schema and shellcheck every `run:` script
    (GitHub runs them with bash). `${{ ... }}` expressions are not used inside scripts."""
    check_tool(
        dev_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(workflow)
    )
    for number, script in enumerate(workflow_scripts(workflow)):
        assert "${{" not in script, f"{workflow}: expression inside a run script"
        path = scripts_dir / f"{workflow.stem}-{number}.sh"
        path.write_text(f"#!/usr/bin/env bash\nset -e\n{script}")
        check_tool(dev_tool("shellcheck"), "--shell=bash", str(path))


def check_gateway_cluster_job(workflow: Path, slug: str) -> None:
    """A gateway's cluster job runs the project's mock upstream and points the chart at it:
    without an upstream its replicas never get ready."""
    steps = yaml.safe_load(workflow.read_text())["jobs"]["kubernetes"]["steps"]
    scripts = "\n".join(step.get("run", "") for step in steps)
    assert f"--command -- {slug}-mock-upstream" in scripts
    assert "--set-string config.UPSTREAM_BASE_URL=http://mock-upstream:8001/v1" in scripts


def run_static_checks(project_dir: Path, scratch: Path) -> None:
    """Validate the rendered container and CI files that no engine here can run: hadolint for
    the Dockerfile, the official schemas for Compose, workflows and Dependabot, pre-commit's
    own validator for its config, shellcheck for workflow scripts, and the Helm chart."""
    answers = yaml.safe_load((project_dir / ".copier-answers.yml").read_text())
    for chart in sorted((project_dir / "deploy" / "helm").glob("*/Chart.yaml")):
        check_chart(chart.parent, rate_limits=answers["rate_limits"])
    if (project_dir / "Dockerfile").exists():
        check_tool(dev_tool("hadolint"), str(project_dir / "Dockerfile"))
        check_tool(
            dev_tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            str(project_dir / "docker-compose.yaml"),
        )
        compose = yaml.safe_load((project_dir / "docker-compose.yaml").read_text())
        for name, service in compose["services"].items():
            if service.get("image") not in {None, "demo-api"}:
                continue  # Redis, the balancer: images of their own
            # Whatever .env says for local runs, the container must listen on all interfaces.
            assert service["environment"]["HOST"] == "0.0.0.0", f"{name} listens on HOST from .env"
        ignored = (project_dir / ".dockerignore").read_text().splitlines()
        assert {".env", ".venv/", ".git/"} <= set(ignored), "secrets or caches in build context"
    github = project_dir / ".github"
    if github.exists():
        for workflow in sorted((github / "workflows").glob("*.yaml")):
            check_workflow(workflow, scratch)
        if answers["backend"] == "openai_proxy" and answers["kubernetes"] and answers["docker"]:
            check_gateway_cluster_job(github / "workflows" / "ci.yaml", answers["project_slug"])
        check_tool(
            dev_tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.dependabot",
            str(github / "dependabot.yml"),
        )
        check_tool(
            dev_tool("pre-commit"), "validate-config", str(project_dir / ".pre-commit-config.yaml")
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def serve(project: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """Serve a rendered project (demo_api) with uvicorn on a free local port, until the block
    ends; yields its base URL."""
    assert run_in(project, "uv", "sync", "--locked").returncode == 0
    port = free_port()
    server = subprocess.Popen(
        ["uv", "run", "--locked", "uvicorn", "demo_api.main:app", "--port", str(port)],
        cwd=project,
        env={**project_env(), **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("the rendered project's server did not start")
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
