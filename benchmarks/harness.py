"""The benchmark's shared parts: rendering a project, the servers under load (`Target`) and
serving them pinned to the server CPU."""

import argparse
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from copier import run_copy
from copier.errors import DirtyLocalWarning

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = Path(__file__).resolve().parent
TOKEN = "bench-token"
SERVER_CPU, CLIENT_CPU = "0", "1"
# The generated server as measured: auth, request logging (to a file) and request ids on, and
# the mock answering at once.
SERVER_ENV = {"API_AUTH_TOKENS": TOKEN, "LOG_LEVEL": "INFO", "MOCK_TOKEN_DELAY": "0"}

Figures = dict[str, float]


@dataclass
class Target:
    """A server under load: how to start it and what was measured."""

    name: str
    argv: list[str]
    env: dict[str, str]
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    runs: dict[str, list[Figures]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def best(self, mode: str, key: str) -> Figures:
        return max(self.runs[mode], key=lambda figures: figures[key])


def project_env() -> dict[str, str]:
    """Our environment without our virtualenv, for commands in the rendered project."""
    return {key: value for key, value in os.environ.items() if not key.startswith("VIRTUAL_ENV")}


def render_project(destination: Path, data: dict[str, str], what: str) -> Path:
    """A project from the template's working tree (defaults but for `data`), synced."""
    print(f"Rendering {what} into {destination}", file=sys.stderr)
    warnings.filterwarnings("ignore", category=DirtyLocalWarning)
    run_copy(
        str(REPO),
        destination,
        data=data,
        defaults=True,
        unsafe=True,
        quiet=True,
        vcs_ref="HEAD",  # with uncommitted changes, as they are
    )
    subprocess.run(["uv", "sync", "--quiet"], cwd=destination, env=project_env(), check=True)
    return destination


def run_in_default_project(doc: str, script: str, rounds: int) -> None:
    """The entry point of a benchmark whose timing runs in a rendered project's environment:
    `script` (beside this file) with the project's package and `--rounds`, in `--project` or in
    a default project rendered for the run; its output is this run's, and its exit status."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--project", type=Path, help="a rendered project (default: render one)")
    parser.add_argument("--rounds", type=int, default=rounds)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        project = args.project or render_project(
            Path(scratch) / "project", {"project_name": "Bench API"}, "the default project"
        )
        package = next((project / "src").iterdir()).name
        python = str(project / ".venv" / "bin" / "python")
        timing = [python, str(Path(__file__).parent / script), package, str(args.rounds)]
        result = subprocess.run(timing, env=project_env(), capture_output=True, text=True)
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        sys.exit(result.returncode)


def served_app(name: str, python: str, app: str, capture: Path) -> Target:
    """An app of ceilings.py served by uvicorn from the project's environment, replaying the
    generated server's answers captured in `capture`."""
    argv = [python, "-m", "uvicorn", "--app-dir", str(BENCHMARKS), "--lifespan", "off"]
    argv += ["--no-access-log", "--log-level", "warning", f"ceilings:{app}"]
    return Target(name, argv, {"BENCH_CAPTURE": str(capture)})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def serving(target: Target, log: IO[bytes]) -> Iterator[Target]:
    """Run the target on CPU 0 until the block ends."""
    target.port = free_port()
    env = {**project_env(), **target.env, "HOST": "127.0.0.1", "PORT": str(target.port)}
    argv = [*target.argv, "--port", str(target.port)] if "uvicorn" in target.argv else target.argv
    target.process = subprocess.Popen(
        ["taskset", "-c", SERVER_CPU, *argv], env=env, stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 30
        while not listening(target.port):
            if target.process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"{target.name} did not start: see {log.name}")
            time.sleep(0.1)
        yield target
    finally:
        target.process.send_signal(signal.SIGINT)
        try:
            target.process.wait(10)
        except subprocess.TimeoutExpired:
            target.process.kill()
            target.process.wait()


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def resident_kib(target: Target) -> int:
    """The target's resident set size (VmRSS), in KiB."""
    assert target.process is not None
    status = Path(f"/proc/{target.process.pid}/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match[1]) if match else 0
