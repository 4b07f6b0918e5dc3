"""Streamed chat completions: the generated server against `ceilings:stream_app` (Starlette's
StreamingResponse sending the server's own pre-serialised events), `--streams` streams of
256 chunks at a time."""

import argparse
from pathlib import Path
from typing import IO

import comparison
from harness import Target, served_app, serving
from load import STREAM_CHUNKS, LoadDriver

MODE = "stream"


def measure(
    load: LoadDriver,
    server: Target,
    python: str,
    capture: Path,
    log: IO[bytes],
    args: argparse.Namespace,
) -> comparison.Section:
    """Serve the ceiling; run it and the server in turn; their table rows."""
    ceiling = served_app("ceiling", python, "stream_app", capture)
    with serving(ceiling, log):
        comparison.alternate(MODE, load.stream, [ceiling], server, args)
    rows = [
        (
            f"Streamed, {args.streams} streams of {STREAM_CHUNKS} chunks: chunks/s",
            "chunks_per_second",
            ",.0f",
        ),
        ("time to first chunk p50 (ms)", "first_chunk_p50_ms", ".2f"),
        ("time to first chunk p99 (ms)", "first_chunk_p99_ms", ".2f"),
        ("inter-chunk gap p99 (ms)", "inter_chunk_p99_ms", ".3f"),
    ]
    return comparison.section(MODE, rows, ceiling, server)
