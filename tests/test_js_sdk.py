"""The official `openai` JavaScript SDK against a served project: models, chat, streaming with
usage, and errors mapped to the SDK's exception classes. Skipped, saying why, where Node.js or
the npm registry is missing."""

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_copie.plugin import Copie

from .conftest import project_env, render, run_in

SCRIPT = Path(__file__).parent / "js" / "sdk_check.mjs"
TOKEN = "js-sdk-token"
REPLY = "This is a mock response. You said: Hello from JavaScript"


def sdk_package() -> str:
    """The newest SDK major release the installed Node.js runs (7.x needs Node 22)."""
    version = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True)
    major = int(version.stdout.strip().lstrip("v").split(".")[0])
    return "openai@7" if major >= 22 else "openai@6"


@pytest.fixture
def sdk_dir(tmp_path: Path) -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are not installed")
    directory = tmp_path / "js"
    directory.mkdir()
    install = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--silent", sdk_package()],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if install.returncode != 0:
        pytest.skip(f"npm could not install the openai SDK: {install.stderr.strip()[-500:]}")
    shutil.copy(SCRIPT, directory)
    return directory


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def base_url(copie: Copie) -> Iterator[str]:
    """The default project, served by uvicorn on a free local port."""
    project = render(copie)
    assert run_in(project, "uv", "sync", "--locked").returncode == 0
    port = free_port()
    server = subprocess.Popen(
        ["uv", "run", "--locked", "uvicorn", "demo_api.main:app", "--port", str(port)],
        cwd=project,
        env={**project_env(), "API_AUTH_TOKENS": TOKEN},
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
        yield f"{url}/v1"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_js_sdk_uses_served_project(sdk_dir: Path, base_url: str) -> None:
    result = subprocess.run(
        ["node", "sdk_check.mjs", base_url, TOKEN],
        cwd=sdk_dir,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr

    seen = json.loads(result.stdout)
    assert seen["models"] == ["mock-model"]
    assert seen["choices"] == [REPLY, REPLY]
    assert seen["streamed"] == REPLY
    assert seen["finishReason"] == "stop"
    usage, stream_usage = seen["usage"], seen["streamUsage"]
    assert stream_usage["completion_tokens"] * 2 == usage["completion_tokens"]
    assert stream_usage["prompt_tokens"] == usage["prompt_tokens"]
    assert seen["unknownModel"] == {
        "class": "NotFoundError",
        "status": 404,
        "code": "model_not_found",
    }
    assert seen["invalid"]["class"] == "UnprocessableEntityError"
    assert seen["wrongKey"] == {
        "class": "AuthenticationError",
        "status": 401,
        "code": "invalid_api_key",
    }
