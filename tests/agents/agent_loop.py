"""A multi-turn function-tool loop with the OpenAI Agents SDK against a served project, over
the Responses API and chat completions, streamed and not. Prints what each run saw as JSON.

Run in the project's environment with the SDK added:
`uv run --with openai-agents python agent_loop.py BASE_URL API_KEY`.
"""

import asyncio
import json
import sys
from typing import Any, Literal

from agents import (
    Agent,
    Model,
    OpenAIChatCompletionsModel,
    OpenAIResponsesModel,
    Runner,
    function_tool,
    set_tracing_disabled,
)
from openai import AsyncOpenAI

QUESTION = "What is the weather in Paris?"
calls: list[dict[str, Any]] = []


@function_tool
def get_weather(city: str, unit: Literal["celsius", "fahrenheit"]) -> str:
    """The weather in a city.

    Args:
        city: The city.
        unit: The temperature unit.
    """
    calls.append({"city": city, "unit": unit})
    return f"Sunny in {city}, 21 degrees {unit}"


async def run(model: Model, streamed: bool) -> dict[str, Any]:
    calls.clear()
    agent = Agent(name="weather", instructions="Use the tool.", tools=[get_weather], model=model)
    if streamed:
        result = Runner.run_streamed(agent, QUESTION)
        events = [event.type async for event in result.stream_events()]
        return {"final": result.final_output, "calls": list(calls), "events": len(events)}
    answer = await Runner.run(agent, QUESTION)
    items = [item.type for item in answer.new_items]
    return {"final": answer.final_output, "calls": list(calls), "items": items}


async def main(base_url: str, api_key: str) -> None:
    set_tracing_disabled(True)
    client = AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0)
    models: dict[str, Model] = {
        "responses": OpenAIResponsesModel("mock-model", client),
        "chat_completions": OpenAIChatCompletionsModel("mock-model", client),
    }
    seen = {
        f"{name}{'-streamed' if streamed else ''}": await run(model, streamed)
        for name, model in models.items()
        for streamed in (False, True)
    }
    print(json.dumps(seen))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
