"""The serve command as a real process on 127.0.0.1, for the tests that need one."""

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def server_process(
    package: str,
    directory: Path,
    env: dict[str, str],
    output: Path | None = None,
    port_variable: str = "PORT",
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`python -m <package>` in `directory` (empty, so no `.env` applies) with `env` added,
    writing its output to `output` if given, listening on `port_variable`; the process and
    its base URL. Killed if it is still running at the end."""
    port = free_port()
    settings = {"HOST": "127.0.0.1", port_variable: str(port), "LOG_LEVEL": "WARNING", **env}
    command = [sys.executable, "-m", package]
    log = output.open("wb") if output else None
    process = subprocess.Popen(  # noqa: S603
        command, cwd=directory, env={**os.environ, **settings}, stdout=log, stderr=log
    )
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        if log:
            log.close()


def wait_until_serving(base_url: str, limit: float = 30) -> None:
    """Wait (at most `limit` seconds) until the server at `base_url` is ready."""
    deadline = time.monotonic() + limit
    with httpx2.Client(base_url=base_url) as http:
        while True:
            try:
                if http.get("/health/ready").status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{base_url} did not get ready in {limit} s")
            time.sleep(0.05)


async def wait_until_ready(http: httpx2.AsyncClient) -> None:
    async with asyncio.timeout(30):
        while True:
            try:
                if (await http.get("/health/ready")).status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            await asyncio.sleep(0.05)


async def wait_for_exit(process: subprocess.Popen[bytes], limit: float) -> int | None:
    """The exit status, or None if the process still runs after `limit` seconds."""
    deadline = time.monotonic() + limit
    while process.poll() is None and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    return process.poll()
