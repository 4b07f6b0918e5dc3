"""The OpenAI Agents SDK (`openai-agents`) against a served default project: a multi-turn
function-tool loop over the Responses API and chat completions, streamed and not, with no
setting changed; and a session kept in the Conversations API, there and through a gateway.
Skipped, saying why, where the SDK cannot be installed; in CI that fails it."""

import json
import subprocess
from pathlib import Path

import pytest

from .conftest import AGENTS_SDK_TOKEN, SHARES_DEFAULT_PROJECT, project_env, skip_unless_ci

pytestmark = SHARES_DEFAULT_PROJECT

SCRIPT = Path(__file__).parent / "agents" / "agent_loop.py"
RESULT = "Sunny in mock city, 21 degrees celsius"


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


def test_agents_sdk_runs_tool_loop_against_served_project(
    default_project: Path, default_server: str
) -> None:
    install = with_agents_sdk(default_project, 300, "-c", "import agents")
    if install.returncode != 0:
        skip_unless_ci(f"openai-agents could not be installed: {install.stderr.strip()[-500:]}")

    result = with_agents_sdk(
        default_project, 120, str(SCRIPT), f"{default_server}/v1", AGENTS_SDK_TOKEN
    )

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


@pytest.mark.parametrize("served", ["default_server", "default_gateway"])
def test_agents_sdk_conversation_session_against_served_project(
    default_project: Path, served: str, request: pytest.FixtureRequest
) -> None:
    """`OpenAIConversationsSession`: the conversation lives on the server, which keeps both
    turns' items and reads them as the second turn's context; the same through a gateway
    project in front of it, which relays the Conversations API."""
    url = request.getfixturevalue(served)
    script = Path(__file__).parent / "agents" / "conversation_session.py"
    result = with_agents_sdk(default_project, 120, str(script), f"{url}/v1", AGENTS_SDK_TOKEN)

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["conversation"].startswith("conv_")
    assert seen["roles"] == ["user", "assistant", "user", "assistant"]
    assert seen["answers"] == [
        "This is a mock response. You said: Remember: the code is 7.",
        "This is a mock response. You said: What is the code?",
    ]
