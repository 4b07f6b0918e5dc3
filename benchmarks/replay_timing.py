"""Run by replay.py in a rendered project's environment (python replay_timing.py PACKAGE
ROUNDS): serves the mock with a recorded stream, reads it over HTTP at each replay speed, and
prints the table."""

import importlib
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx2
import uvicorn
import yaml

FIRST = 0.25  # seconds to the first token, as recorded
RATE = 40.0  # tokens per second after it
TOKENS = 80
SPEEDS = (1.0, 2.0, 4.0)
TOKEN = "bench-token"  # (a project without auth ignores it)
REQUEST = {"model": "mock-model", "messages": [{"role": "user", "content": "Hi"}], "stream": True}


def recording() -> dict[str, Any]:
    """A mock script with one recorded chat stream of TOKENS tokens."""
    events = [
        {
            "at": round(FIRST + n / RATE, 4),
            "data": json.dumps({"choices": [{"delta": {"content": f"t{n} "}}]}),
        }
        for n in range(TOKENS)
    ]
    events.append({"at": events[-1]["at"], "data": "[DONE]"})
    answer = {"recorded": {"headers": {"content-type": "text/event-stream"}, "events": events}}
    rule = {"match": {"endpoint": "chat_completions", "request": REQUEST}, "answer": answer}
    return {"rules": [rule]}


def serve(app: Any) -> tuple[uvicorn.Server, str]:
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    host, port = sock.getsockname()
    return server, f"http://{host}:{port}"


def timed_stream(url: str) -> list[float]:
    """Seconds from the request to each event of the replayed stream."""
    times: list[float] = []
    with httpx2.Client(timeout=30, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        started = time.monotonic()
        with http.stream("POST", f"{url}/v1/chat/completions", json=REQUEST) as answer:
            for line in answer.iter_lines():
                if line.startswith("data:"):
                    times.append(time.monotonic() - started)
    return times


def main() -> None:
    package, rounds = sys.argv[1], int(sys.argv[2])
    config = importlib.import_module(f"{package}.core.config")
    main_module = importlib.import_module(f"{package}.main")
    recorded = [event["at"] for event in recording()["rules"][0]["answer"]["recorded"]["events"]]
    print(
        "| MOCK_REPLAY_SPEED | first event: recorded / replayed (ms) | ratio"
        " | whole stream: recorded / replayed (ms) | ratio | latest event, median / max (ms) |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "recording.yaml"
        script.write_text(yaml.safe_dump(recording()))
        for speed in SPEEDS:
            settings = config.Settings(
                _env_file=None, mock_script=script, mock_replay_speed=speed, api_auth_tokens=[TOKEN]
            )
            server, url = serve(main_module.create_app(settings))
            try:
                runs = [timed_stream(url) for _ in range(rounds)]
            finally:
                server.should_exit = True
            best = min(runs, key=lambda times: times[-1])
            expected = [at / speed for at in recorded]
            late = [(got - want) * 1000 for got, want in zip(best, expected, strict=True)]
            first, whole = best[0], best[-1]
            print(
                f"| {speed:g} | {expected[0] * 1000:.0f} / {first * 1000:.0f}"
                f" | {first / recorded[0]:.2f}x | {expected[-1] * 1000:.0f} / {whole * 1000:.0f}"
                f" | {whole / recorded[-1]:.2f}x"
                f" | {statistics.median(late):.1f} / {max(late):.1f} |"
            )


if __name__ == "__main__":
    main()
