"""Plain chat completions: the generated server against `ceilings:plain_app` (a bare ASGI app
answering with the server's own bytes) and `ceilings:fastapi_floor_app` (the least a FastAPI
route costs), `--connections` at a time."""

import argparse
from pathlib import Path
from typing import IO

import comparison
from harness import Target, served_app, serving
from load import LoadDriver

MODE = "plain"


def measure(
    load: LoadDriver,
    server: Target,
    python: str,
    capture: Path,
    log: IO[bytes],
    args: argparse.Namespace,
) -> comparison.Section:
    """Serve the ceiling and the floor; run them and the server in turn; their table rows."""
    ceiling = served_app("ceiling", python, "plain_app", capture)
    floor = served_app("FastAPI floor", python, "fastapi_floor_app", capture)
    with serving(ceiling, log), serving(floor, log):
        comparison.alternate(MODE, load.plain, [ceiling, floor], server, args)
    rows = [
        (
            f"Plain chat completions, {args.connections} connections: requests/s",
            "requests_per_second",
            ",.0f",
        ),
        ("latency p50 (ms)", "latency_p50_ms", ".2f"),
        ("latency p99 (ms)", "latency_p99_ms", ".2f"),
    ]
    return comparison.section(MODE, rows, ceiling, server, floor)
