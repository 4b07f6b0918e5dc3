"""The OpenAI Agents SDK (`openai-agents`) against a served default project: a multi-turn
function-tool loop over the Responses API and chat completions, streamed and not, with no
setting changed. Skipped, saying why, where the SDK cannot be installed; in CI that fails it."""

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_copie.plugin import Copie

from .conftest import project_env, render, serve, skip_unless_ci

SCRIPT = Path(__file__).parent / "agents" / "agent_loop.py"
TOKEN = "agents-sdk-token"
RESULT = "Sunny in mock city, 21 degrees celsius"


@pytest.fixture
def project(copie: Copie) -> Path:
    return render(copie)


@pytest.fixture
def base_url(project: Path) -> Iterator[str]:
    """The default project, served by uvicorn on a free local port."""
    with serve(project, {"API_AUTH_TOKENS": TOKEN}) as url:
        yield f"{url}/v1"


def with_agents_sdk(
    project: Path, timeout: float, *arguments: str
) -> subprocess.CompletedProcess[str]:
    """`python <arguments>` in the project's environment with `openai-agents` added."""
    return subprocess.run(
        ["uv", "run", "--with", "openai-agents", "python", *arguments],
        cwd=project,
        env=project_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_agents_sdk_runs_tool_loop_against_served_project(project: Path, base_url: str) -> None:
    install = with_agents_sdk(project, 300, "-c", "import agents")
    if install.returncode != 0:
        skip_unless_ci(f"openai-agents could not be installed: {install.stderr.strip()[-500:]}")

    result = with_agents_sdk(project, 120, str(SCRIPT), base_url, TOKEN)

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert set(seen) == {
        "responses",
        "responses-streamed",
        "chat_completions",
        "chat_completions-streamed",
    }
    for name, run in seen.items():
        # The model called the tool with schema-valid arguments, the SDK ran it and sent the
        # result back, and the model's final answer uses it.
        assert run["calls"] == [{"city": "mock city", "unit": "celsius"}], name
        assert run["final"] == f"This is a mock response. The tool returned: {RESULT}", name
    assert seen["responses"]["items"] == [
        "tool_call_item",
        "tool_call_output_item",
        "message_output_item",
    ]
    assert seen["chat_completions"]["items"] == seen["responses"]["items"]
