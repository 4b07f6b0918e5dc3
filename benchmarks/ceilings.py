"""The ceilings a generated server is measured against, served by uvicorn exactly like it.

`run.py` captures the generated server's answers to the benchmark request into the JSON file
named by BENCH_CAPTURE, then `plain.py` and `stream.py` serve these apps from the generated
project's environment:

- `plain_app`: a bare ASGI app that reads the request body and answers with the captured
  response bytes (what no server can beat: no routing, no parsing, no serialisation);
- `stream_app`: Starlette's `StreamingResponse` sending the captured, pre-serialised events
  from an async generator (streaming with nothing but the framework's own cost);
- `fastapi_floor_app`: not a ceiling but a reference, FastAPI's floor: one route that reads
  the body and answers with the captured bytes (what any FastAPI endpoint costs at least).
"""

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

Scope = dict[str, Any]
Message = dict[str, Any]

CAPTURE = json.loads(Path(os.environ["BENCH_CAPTURE"]).read_text())
PLAIN_BODY = CAPTURE["plain"]["body"].encode()
PLAIN_HEADERS = [
    (b"content-type", CAPTURE["plain"]["content_type"].encode()),
    (b"content-length", str(len(PLAIN_BODY)).encode()),
    (b"x-request-id", b"0123456789abcdef0123456789abcdef"),
]
STREAM_EVENTS = [event.encode() for event in CAPTURE["stream"]["events"]]


async def plain_app(scope: Scope, receive: Any, send: Any) -> None:
    more_body = True
    while more_body:
        message: Message = await receive()
        more_body = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": PLAIN_HEADERS})
    await send({"type": "http.response.body", "body": PLAIN_BODY})


async def stream_app(scope: Scope, receive: Any, send: Any) -> None:
    await Request(scope, receive).body()

    async def events() -> AsyncIterator[bytes]:
        for event in STREAM_EVENTS:
            yield event

    response = StreamingResponse(events(), media_type="text/event-stream")
    await response(scope, receive, send)


async def floor_route(request: Request) -> Any:
    await request.body()
    return Response(PLAIN_BODY, media_type=CAPTURE["plain"]["content_type"])


fastapi_floor_app = FastAPI()
fastapi_floor_app.add_api_route("/v1/chat/completions", floor_route, methods=["POST"])
