"""A typed agent (pydantic-ai, a Pydantic `output_type`) over chat completions against a served
project, each run calling a function tool first: the output as a tool call (pydantic-ai's
default, its `final_result` tool, called with `tool_choice: "required"` after the function's
result) and as a `response_format` (NativeOutput). Prints what each run returned as JSON.

Run in the template's environment: `python typed_agent.py BASE_URL API_KEY`.
"""

import asyncio
import json
import sys
from datetime import date
from enum import StrEnum
from typing import Any, Literal

from openai import AsyncOpenAI
from pydantic import BaseModel
from pydantic_ai import Agent, NativeOutput
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider


class Unit(StrEnum):
    CELSIUS = "celsius"
    FAHRENHEIT = "fahrenheit"


class Reading(BaseModel):
    taken: date
    degrees: float


class Forecast(BaseModel):
    city: str
    unit: Unit
    kind: Literal["forecast", "observation"]
    readings: list[Reading]
    warning: str | None


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"Sunny in {city}"


async def run(model: OpenAIChatModel, native: bool) -> dict[str, Any]:
    output_type: Any = NativeOutput(Forecast) if native else Forecast
    agent = Agent(model, output_type=output_type, tools=[get_weather])
    result = await agent.run("What is the weather in Paris?")
    kinds = [part.part_kind for message in result.all_messages() for part in message.parts]
    return {"output": result.output.model_dump(mode="json"), "parts": kinds}


async def main(base_url: str, api_key: str) -> None:
    async with AsyncOpenAI(base_url=base_url, api_key=api_key) as client:
        provider = OpenAIProvider(openai_client=client)
        model = OpenAIChatModel("mock-model", provider=provider)
        seen = {"tool_output": await run(model, False), "native_output": await run(model, True)}
    print(json.dumps(seen))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
