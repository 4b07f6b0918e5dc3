"""What the graceful-shutdown tests share (test_shutdown.py): the settings of a real server
process that drains, SIGTERM with a check that readiness fails at once, the exit in time."""

import asyncio
import signal
import subprocess
import time

import httpx2

from .server_process import wait_for_exit

SHUTDOWN_DELAY = 0.5  # seconds readiness is 503 while the server still accepts connections
SHUTDOWN_TIMEOUT = 1  # seconds open streams get to finish
# Beyond SHUTDOWN_DELAY + SHUTDOWN_TIMEOUT: uvicorn's own grace and the process's exit.
EXIT_MARGIN = 2.0
Server = tuple[subprocess.Popen[bytes], str]


def shutdown_env(server_env: dict[str, str]) -> dict[str, str]:
    return server_env | {
        "SHUTDOWN_DELAY": str(SHUTDOWN_DELAY),
        "SHUTDOWN_TIMEOUT": str(SHUTDOWN_TIMEOUT),
    }


async def signal_and_probe(process: subprocess.Popen[bytes], base_url: str) -> float:
    """SIGTERM, then check that readiness fails at once while the server still answers;
    when the signal was sent."""
    signalled = time.monotonic()
    process.send_signal(signal.SIGTERM)
    async with httpx2.AsyncClient(base_url=base_url) as probe:
        for _ in range(20):  # until the signal has arrived, well within SHUTDOWN_DELAY
            response = await probe.get("/health/ready")
            if response.status_code != 200:
                break
            await asyncio.sleep(0.01)
        liveness = await probe.get("/health")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "shutting_down"
    assert liveness.status_code == 200
    return signalled


async def assert_exits_in_time(process: subprocess.Popen[bytes], signalled: float) -> None:
    returncode = await wait_for_exit(process, SHUTDOWN_DELAY + SHUTDOWN_TIMEOUT + EXIT_MARGIN)
    elapsed = time.monotonic() - signalled

    # uvicorn re-raises the signal after a clean shutdown (0 where that is ignored, as PID 1).
    assert returncode in (0, -signal.SIGTERM)
    assert elapsed < SHUTDOWN_DELAY + SHUTDOWN_TIMEOUT + EXIT_MARGIN
