"""The official `openai` JavaScript SDK against a served project: models, chat, streaming with
usage, and errors mapped to the SDK's exception classes. Skipped, saying why, where Node.js or
the npm registry is missing; in CI a failed `npm install` fails it instead."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import JS_SDK_TOKEN, SHARES_DEFAULT_PROJECT, skip_unless_ci

pytestmark = SHARES_DEFAULT_PROJECT

SCRIPT = Path(__file__).parent / "js" / "sdk_check.mjs"
REPLY = "This is a mock response. You said: Hello from JavaScript"


def sdk_package() -> str:
    """The newest SDK major release the installed Node.js runs (7.x needs Node 22)."""
    version = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True)
    major = int(version.stdout.strip().lstrip("v").split(".")[0])
    return "openai@7" if major >= 22 else "openai@6"


def install_sdk(directory: Path, package: str) -> None:
    """npm-install the SDK into `directory`; skip if npm cannot (a registry outage), but in CI
    fail: an outage must not turn CI green without this check."""
    install = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--silent", package],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if install.returncode != 0:
        skip_unless_ci(f"npm could not install the openai SDK: {install.stderr.strip()[-500:]}")


@pytest.fixture
def sdk_dir(tmp_path: Path) -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are not installed")
    directory = tmp_path / "js"
    directory.mkdir()
    install_sdk(directory, sdk_package())
    shutil.copy(SCRIPT, directory)
    return directory


@pytest.mark.parametrize(
    ("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)]
)
def test_failed_npm_install_fails_in_ci_and_skips_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ci: str, outcome: type[BaseException]
) -> None:
    failing_npm = tmp_path / "npm"
    failing_npm.write_text("#!/bin/sh\necho 'npm error network request failed' >&2\nexit 1\n")
    failing_npm.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("CI", ci)

    with pytest.raises(outcome, match="npm could not install the openai SDK"):
        install_sdk(tmp_path, "openai@6")


def test_js_sdk_uses_served_project(sdk_dir: Path, default_server: str) -> None:
    result = subprocess.run(
        ["node", "sdk_check.mjs", f"{default_server}/v1", JS_SDK_TOKEN],
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
