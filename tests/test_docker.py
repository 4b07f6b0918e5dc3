"""The generated image, built and run for real wherever a Docker engine answers.

No engine runs on the machines this template is developed on, so there the test is skipped,
saying why; the template's GitHub Actions run it (job `docker-image`).
"""

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_copie.plugin import Copie

from .conftest import render

TOKEN = "docker-test-token"


def docker(*arguments: str, timeout: float = 60) -> str:
    """Run a docker command; fail the test with its output when it fails."""
    result = subprocess.run(
        ["docker", *arguments], capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"`docker {' '.join(arguments)}` failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout.strip()


def no_engine_reason() -> str | None:
    """Why no Docker engine can be used here, or None when one answers."""
    if shutil.which("docker") is None:
        return "the docker command is not installed"
    result = subprocess.run(
        ["docker", "info", "--format", "{{.ServerVersion}}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if result.returncode != 0:
        return f"no Docker engine answers: {result.stderr.strip() or result.stdout.strip()}"
    return None


def http_status(url: str, token: str | None = None) -> int:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def wait_for_health(base_url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if http_status(f"{base_url}/health") == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{base_url}/health did not answer within {seconds} s")
        time.sleep(0.5)


@pytest.fixture
def image(copie: Copie) -> Iterator[str]:
    reason = no_engine_reason()
    if reason:
        pytest.skip(reason)
    project: Path = render(copie)
    tag = f"openai-api-blueprint-test:{uuid.uuid4().hex[:12]}"
    docker("build", "--tag", tag, str(project), timeout=900)
    yield tag
    subprocess.run(["docker", "rmi", "--force", tag], capture_output=True, check=False)


@pytest.mark.docker
def test_image_serves_api_and_stops_gracefully(image: str) -> None:
    config = json.loads(docker("image", "inspect", "--format", "{{json .Config}}", image))
    assert config["User"] == "10001:10001"
    assert config["Healthcheck"]["Test"]
    container = docker(
        "run",
        "--detach",
        "--publish",
        "127.0.0.1::8000",
        "--env",
        f"API_AUTH_TOKENS={TOKEN}",
        image,
    )
    try:
        host_port = docker("port", container, "8000/tcp").splitlines()[0]
        base_url = f"http://{host_port}"
        wait_for_health(base_url)

        assert http_status(f"{base_url}/v1/models", TOKEN) == 200
        assert http_status(f"{base_url}/v1/models") == 401

        docker("stop", container)
        assert docker("inspect", "--format", "{{.State.ExitCode}}", container) == "0"
    finally:
        subprocess.run(["docker", "rm", "--force", container], capture_output=True, check=False)
