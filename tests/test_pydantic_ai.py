"""A typed agent (pydantic-ai with a Pydantic `output_type`) over chat completions against the
served default project, unmodified: its output as pydantic-ai's output tool and as a
`response_format` (NativeOutput), each validated into the model."""

import json
import subprocess
import sys
from pathlib import Path

from .conftest import PYDANTIC_AI_TOKEN, SHARES_DEFAULT_PROJECT

pytestmark = SHARES_DEFAULT_PROJECT

SCRIPT = Path(__file__).parent / "agents" / "typed_agent.py"
# The mock's value for the agent's Forecast: every field, the first enum member, one reading.
FORECAST = {
    "city": "mock city",
    "unit": "celsius",
    "kind": "forecast",
    "readings": [{"taken": "2025-01-01", "degrees": 1.5}],
    "warning": "mock warning",
}


def test_pydantic_ai_typed_agent_gets_its_model_from_served_project(default_server: str) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), f"{default_server}/v1", PYDANTIC_AI_TOKEN],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["tool_output"] == {
        "output": FORECAST,
        # get_weather called and answered, then the output tool's call (and its return).
        "parts": ["user-prompt", "tool-call", "tool-return", "tool-call", "tool-return"],
    }
    assert seen["native_output"] == {
        "output": FORECAST,
        # get_weather called and answered, then the JSON answer of the response_format.
        "parts": ["user-prompt", "tool-call", "tool-return", "text"],
    }
