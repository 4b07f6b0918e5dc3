"""Two turns of the OpenAI Agents SDK on one `OpenAIConversationsSession` against a served
project: the session creates a conversation on the server, keeps each turn's items in it, and
sends them back as the next turn's context. Prints what it saw as JSON.

Run in the project's environment with the SDK added:
`uv run --with openai-agents python conversation_session.py BASE_URL API_KEY`.
"""

import asyncio
import json
import sys

from agents import (
    Agent,
    OpenAIConversationsSession,
    OpenAIResponsesModel,
    Runner,
    set_tracing_disabled,
)
from openai import AsyncOpenAI


async def main(base_url: str, api_key: str) -> None:
    set_tracing_disabled(True)
    client = AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0)
    agent = Agent(name="notes", model=OpenAIResponsesModel("mock-model", client))
    session = OpenAIConversationsSession(openai_client=client)
    first = await Runner.run(agent, "Remember: the code is 7.", session=session)
    second = await Runner.run(agent, "What is the code?", session=session)
    items = await session.get_items()
    conversation = await client.conversations.retrieve(session.session_id)
    print(
        json.dumps(
            {
                "answers": [first.final_output, second.final_output],
                "conversation": conversation.id,
                "roles": [item.get("role") for item in items],
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
