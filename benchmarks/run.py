"""Benchmark the generated server against its ceiling, in one run on this machine.

    uv run benchmarks/run.py                    # about two minutes
    uv run benchmarks/run.py --duration 20 --rounds 3

Renders the default project (the template's working tree) into a temporary directory, syncs
it, and serves on one uvicorn worker pinned to CPU 0:

- the generated server, with auth, request logging (to a file) and request ids on;
- `ceilings:plain_app`, a bare ASGI app answering with the generated server's own response bytes;
- `ceilings:stream_app`, Starlette's StreamingResponse sending the same pre-serialised events.

Load comes from CPU 1: wrk for plain requests when it is installed, else the project's
scripts/loadtest.py, which also drives the streams (8 concurrent 256-chunk streams). Ceiling
and server alternate, `--rounds` times each; the best round of each is reported, with the
ratio of server to ceiling. Last, the server's resident memory after warm-up is compared with
its memory after `--memory-requests` requests.
"""

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import gateway
from copier import run_copy
from copier.errors import DirtyLocalWarning

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = Path(__file__).resolve().parent
TOKEN = "bench-token"
SERVER_CPU, CLIENT_CPU = "0", "1"
# The mock quotes the prompt after a 9-token prefix: 245 words make 254 content chunks,
# 256 with the role chunk and the finish chunk.
STREAM_PROMPT_WORDS, STREAM_CHUNKS = 245, 256
PLAIN_PROMPT_WORDS = 32
CHAT_PATH = "/v1/chat/completions"

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


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each server and mode")
    parser.add_argument("--connections", type=int, default=32, help="for plain requests")
    parser.add_argument("--streams", type=int, default=8, help="concurrent streams")
    parser.add_argument("--memory-requests", type=int, default=100_000)
    parser.add_argument("--project", type=Path, help="reuse this rendered project")
    parser.add_argument("--no-wrk", action="store_true", help="use loadtest.py for all load")
    parser.add_argument(
        "--modes",
        default="plain,stream,metrics,gateway",
        help="what to measure (plain,stream,metrics,gateway)",
    )
    args = parser.parse_args()
    if len(os.sched_getaffinity(0)) < 2 or not shutil.which("taskset"):
        sys.exit("This needs two CPUs and taskset (util-linux): one for the server, one for load.")
    wrk = None if args.no_wrk else shutil.which("wrk")

    with tempfile.TemporaryDirectory(prefix="bench-") as scratch_dir:
        scratch = Path(scratch_dir)
        project = args.project or render_project(scratch / "project")
        python = str(project / ".venv" / "bin" / "python")
        package = next((project / "src").iterdir()).name
        modes = args.modes.split(",")
        log = (scratch / "servers.log").open("wb")
        server = Target(
            "generated server",
            [python, "-m", package],
            {"API_AUTH_TOKENS": TOKEN, "LOG_LEVEL": "INFO", "MOCK_TOKEN_DELAY": "0"},
        )
        capture = scratch / "capture.json"
        ceiling_env = {"BENCH_CAPTURE": str(capture)}
        uvicorn = [python, "-m", "uvicorn", "--app-dir", str(BENCHMARKS), "--lifespan", "off"]
        uvicorn += ["--no-access-log", "--log-level", "warning"]
        plain_ceiling = Target("ceiling", [*uvicorn, "ceilings:plain_app"], ceiling_env)
        stream_ceiling = Target("ceiling", [*uvicorn, "ceilings:stream_app"], ceiling_env)
        floor = Target("FastAPI floor", [*uvicorn, "ceilings:fastapi_floor_app"], ceiling_env)
        load = LoadDriver(project, python, scratch, wrk, args)

        started, load_before = time.time(), os.getloadavg()
        with serving(server, log):
            capture.write_text(json.dumps(capture_answers(server.url, load)))
            with serving(plain_ceiling, log), serving(stream_ceiling, log), serving(floor, log):
                print("Warming up", file=sys.stderr)
                warm_up = [load.plain(server, 2.0), load.stream(server, 2.0)]
                load.plain(plain_ceiling, 2.0)
                load.plain(floor, 2.0)
                load.stream(stream_ceiling, 2.0)
                rss_warm = resident_kib(server)
                sent = sum(int(figures["requests"]) for figures in warm_up)
                for round_number in range(1, args.rounds + 1):
                    print(f"Round {round_number} of {args.rounds}", file=sys.stderr)
                    for mode in (mode for mode in modes if mode in ("plain", "stream")):
                        others = [plain_ceiling, floor] if mode == "plain" else [stream_ceiling]
                        for target in (*others, server):
                            figures = getattr(load, mode)(target, args.duration)
                            target.runs.setdefault(mode, []).append(figures)
                            sent += int(figures["requests"]) if target is server else 0
            print(f"Memory: {args.memory_requests} requests in all", file=sys.stderr)
            sent += load.until(server, args.memory_requests - sent)
            rss_after = resident_kib(server)
            if "gateway" in modes:
                proxy = gateway.render_gateway(REPO, scratch / "gateway", project_env())
                proxy_python = str(proxy / ".venv" / "bin" / "python")
                proxy_env = gateway.gateway_env(server.url, TOKEN)
                proxy_package = next((proxy / "src").iterdir()).name
                through = Target("gateway", [proxy_python, "-m", proxy_package], proxy_env)
                with serving(through, log):
                    gateway_runs = gateway.measure(load, server, through, args)
        print(machine(python, wrk, load_before, os.getloadavg(), time.time() - started))
        print()
        print(table(server, plain_ceiling, stream_ceiling, floor, args))
        print()
        if "gateway" in modes:
            print(gateway.table(gateway_runs, server.name, "gateway"))
            print()
        growth = (rss_after - rss_warm) / rss_warm
        print(
            f"Resident memory of the generated server: {rss_warm / 1024:.1f} MiB after warm-up, "
            f"{rss_after / 1024:.1f} MiB after {sent:,} requests ({growth:+.1%})."
        )
        if "metrics" in modes:
            print()
            print(metrics_cost(server.argv, load, log, args))
    return 0


def metrics_cost(
    argv: list[str], load: "LoadDriver", log: IO[bytes], args: argparse.Namespace
) -> str:
    """The generated server with and without its Prometheus metrics (METRICS_ENABLED), both
    serving at once and measured in turn, `--rounds` times; a table of the best runs and the
    cost of metrics per request (on one pinned worker, 1 / throughput is the time a request
    takes the server)."""
    env = {"API_AUTH_TOKENS": TOKEN, "LOG_LEVEL": "INFO", "MOCK_TOKEN_DELAY": "0"}
    with_metrics = Target("with metrics", argv, env)
    without = Target("without metrics", argv, {**env, "METRICS_ENABLED": "false"})
    with serving(with_metrics, log), serving(without, log):
        print("Metrics cost: warming up", file=sys.stderr)
        for target in (without, with_metrics):
            load.plain(target, 2.0)
            load.stream(target, 2.0)
        for round_number in range(1, args.rounds + 1):
            print(f"Metrics cost: round {round_number} of {args.rounds}", file=sys.stderr)
            for mode in ("plain", "stream"):
                for target in (without, with_metrics):
                    figures = getattr(load, mode)(target, args.duration)
                    target.runs.setdefault(mode, []).append(figures)
    lines = [
        "| Metrics | Without | With | Cost |",
        "| --- | ---: | ---: | ---: |",
    ]
    for mode, key, unit in (
        ("plain", "requests_per_second", "request"),
        ("stream", "chunks_per_second", "chunk"),
    ):
        off, on = without.best(mode, key)[key], with_metrics.best(mode, key)[key]
        cost = (1 / on - 1 / off) * 1e6
        lines.append(
            f"| {mode}: {key.replace('_per_second', '')}/s | {off:,.0f} | {on:,.0f} "
            f"| {cost:+.1f} µs per {unit} ({on / off - 1:+.1%}) |"
        )
    return "\n".join(lines)


def render_project(destination: Path) -> Path:
    """The default project from the template's working tree, synced."""
    print(f"Rendering the default project into {destination}", file=sys.stderr)
    warnings.filterwarnings("ignore", category=DirtyLocalWarning)
    run_copy(
        str(REPO),
        destination,
        data={"project_name": "Bench API"},
        defaults=True,
        unsafe=True,
        quiet=True,
        vcs_ref="HEAD",  # with uncommitted changes, as they are
    )
    subprocess.run(["uv", "sync", "--quiet"], cwd=destination, env=project_env(), check=True)
    return destination


def project_env() -> dict[str, str]:
    """Our environment without our virtualenv, for commands in the rendered project."""
    return {key: value for key, value in os.environ.items() if not key.startswith("VIRTUAL_ENV")}


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


def post(url: str, body: bytes) -> tuple[int, str, bytes]:
    request = urllib.request.Request(
        url,
        data=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.headers["content-type"], response.read()


def capture_answers(base_url: str, load: "LoadDriver") -> dict[str, object]:
    """The generated server's answers to the benchmark requests, for the ceilings to replay."""
    url = base_url + CHAT_PATH
    status, content_type, body = post(url, load.body(PLAIN_PROMPT_WORDS, stream=False))
    if status != 200:
        sys.exit(f"The generated server answered {status}: {body!r}")
    _, _, stream = post(url, load.body(STREAM_PROMPT_WORDS, stream=True))
    events = [event + "\n\n" for event in stream.decode().split("\n\n") if event]
    if len(events) != STREAM_CHUNKS + 1 or events[-1] != "data: [DONE]\n\n":
        sys.exit(f"Expected {STREAM_CHUNKS} chunks and [DONE], got {len(events)} events")
    return {
        "plain": {"content_type": content_type, "body": body.decode()},
        "stream": {"events": events},
    }


class LoadDriver:
    """Sends the benchmark requests from CPU 1: wrk (plain, if given) or scripts/loadtest.py."""

    def __init__(
        self, project: Path, python: str, scratch: Path, wrk: str | None, args: argparse.Namespace
    ) -> None:
        self.project, self.python, self.scratch, self.wrk = project, python, scratch, wrk
        self.connections, self.streams = args.connections, args.streams
        if wrk:
            body_file = scratch / "plain.json"
            body_file.write_bytes(self.body(PLAIN_PROMPT_WORDS, stream=False))
            self.wrk_script = scratch / "post.lua"
            self.wrk_script.write_text(WRK_SCRIPT.format(body_file=body_file, token=TOKEN))

    def body(self, prompt_words: int, stream: bool) -> bytes:
        """loadtest.py's request, so that every tool sends the same bytes."""
        code = (
            "import sys, loadtest; sys.stdout.buffer.write(loadtest.request_body("
            f"loadtest.LoadConfig(prompt_words={prompt_words}, stream={stream})))"
        )
        env = {**project_env(), "PYTHONPATH": str(self.project / "scripts")}
        return subprocess.run(
            [self.python, "-c", code], env=env, capture_output=True, check=True
        ).stdout

    def plain(self, target: Target, duration: float) -> Figures:
        if self.wrk:
            return self._wrk(target, duration)
        args = ["--duration", str(duration), "--concurrency", str(self.connections)]
        return self._loadtest(target, [*args, "--prompt-words", str(PLAIN_PROMPT_WORDS)])

    def stream(self, target: Target, duration: float) -> Figures:
        args = ["--stream", "--duration", str(duration), "--concurrency", str(self.streams)]
        return self._loadtest(target, [*args, "--prompt-words", str(STREAM_PROMPT_WORDS)])

    def run(self, target: Target, duration: float, concurrency: int, stream: bool) -> Figures:
        """loadtest.py at this concurrency, plain requests or 256-chunk streams."""
        words = STREAM_PROMPT_WORDS if stream else PLAIN_PROMPT_WORDS
        args = ["--duration", str(duration), "--concurrency", str(concurrency)]
        return self._loadtest(target, [*args, "--prompt-words", str(words)] + ["--stream"] * stream)

    def client_cost(self, target: Target) -> Figures:
        """benchmarks/client_cost.py against the target: an httpx2 round trip, and a socket's."""
        body_file = self.scratch / "client-cost.json"
        body_file.write_bytes(self.body(PLAIN_PROMPT_WORDS, stream=False))
        argv = [self.python, str(BENCHMARKS / "client_cost.py"), target.url, TOKEN, str(body_file)]
        return {key: float(value) for key, value in json.loads(run_on_client_cpu(argv)).items()}

    def until(self, target: Target, requests: int) -> int:
        """Send at least `requests` plain requests (if positive); how many were sent."""
        sent = 0
        while sent < requests:
            if self.wrk:
                sent += int(self._wrk(target, 5.0)["requests"])
            else:
                args = ["--requests", str(requests - sent), "--concurrency", str(self.connections)]
                sent += int(self._loadtest(target, args)["requests"])
        return sent

    def _loadtest(self, target: Target, args: list[str]) -> Figures:
        argv = [self.python, str(self.project / "scripts" / "loadtest.py"), "--json"]
        argv += ["--base-url", f"{target.url}/v1", "--token", TOKEN, *args]
        output = run_on_client_cpu(argv)
        report = json.loads(output)
        errors = sum(report.pop("errors").values())
        return {key: float(value) for key, value in report.items()} | {"errors": errors}

    def _wrk(self, target: Target, duration: float) -> Figures:
        argv = [
            self.wrk or "wrk",
            "--latency",
            "-t1",
            f"-c{self.connections}",
            f"-d{max(1, round(duration))}s",
        ]
        argv += ["-s", str(self.wrk_script), target.url + CHAT_PATH]
        return parse_wrk(run_on_client_cpu(argv))


WRK_SCRIPT = """\
local file = io.open("{body_file}", "rb")
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
"""


def run_on_client_cpu(argv: list[str]) -> str:
    result = subprocess.run(
        ["taskset", "-c", CLIENT_CPU, *argv], env=project_env(), capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def parse_wrk(output: str) -> Figures:
    """wrk's requests/s, requests, latency percentiles (ms) and failures."""

    def milliseconds(percent: str) -> float:
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)$", output, re.MULTILINE)
        if match is None:
            sys.exit(f"Unexpected wrk output:\n{output}")
        value, unit = float(match[1]), match[2]
        return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    def number(pattern: str) -> float:
        match = re.search(pattern, output)
        return float(match[1]) if match else 0.0

    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "requests": number(r"(\d+) requests in"),
        "requests_per_second": number(r"Requests/sec:\s+([\d.]+)"),
        "latency_p50_ms": milliseconds("50"),
        "latency_p90_ms": milliseconds("90"),
        "latency_p99_ms": milliseconds("99"),
        "errors": number(r"Non-2xx or 3xx responses: (\d+)")
        + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0),
    }


def resident_kib(target: Target) -> int:
    """The target's resident set size (VmRSS), in KiB."""
    assert target.process is not None
    status = Path(f"/proc/{target.process.pid}/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match[1]) if match else 0


def table(
    server: Target,
    plain_ceiling: Target,
    stream_ceiling: Target,
    floor: Target,
    args: argparse.Namespace,
) -> str:
    """One Markdown table: each figure for the ceiling, the FastAPI floor (plain requests
    only) and the server, and the ratio of server to ceiling."""
    plain = f"Plain chat completions, {args.connections} connections"
    stream = f"Streamed, {args.streams} streams of {STREAM_CHUNKS} chunks"
    rows = {
        "plain": [
            (f"{plain}: requests/s", "requests_per_second", ",.0f"),
            ("latency p50 (ms)", "latency_p50_ms", ".2f"),
            ("latency p99 (ms)", "latency_p99_ms", ".2f"),
        ],
        "stream": [
            (f"{stream}: chunks/s", "chunks_per_second", ",.0f"),
            ("time to first chunk p50 (ms)", "first_chunk_p50_ms", ".2f"),
            ("time to first chunk p99 (ms)", "first_chunk_p99_ms", ".2f"),
            ("inter-chunk gap p99 (ms)", "inter_chunk_p99_ms", ".3f"),
        ],
    }
    lines = [
        "| Measure | Ceiling | FastAPI floor | Generated server | Server / ceiling |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for mode, ceiling in (("plain", plain_ceiling), ("stream", stream_ceiling)):
        if mode not in server.runs:
            continue
        # The best run of each: on a shared machine, noise only ever slows a run down.
        best = rows[mode][0][1]
        top, ours = ceiling.best(mode, best), server.best(mode, best)
        reference = floor.best(mode, best) if mode in floor.runs else None
        for label, key, spec in rows[mode]:
            ratio = ours[key] / top[key] if top[key] else float("nan")
            middle = "-"
            if reference is not None:
                middle = f"{reference[key]:{spec}} ({reference[key] / top[key]:.2f}x)"
            lines.append(
                f"| {label} | {top[key]:{spec}} | {middle} | {ours[key]:{spec}} | {ratio:.2f}x |"
            )
    failures = sum(
        figures["errors"]
        for target in (server, plain_ceiling, stream_ceiling, floor)
        for runs in target.runs.values()
        for figures in runs
    )
    lines.append("")
    lines.append(f"Failed requests in the measured runs: {failures:.0f}.")
    return "\n".join(lines)


def machine(
    python: str,
    wrk: str | None,
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
    seconds: float,
) -> str:
    """What the figures were measured on."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    memory = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
    mebibytes = int(memory[1]) // 1024 if memory else 0
    packages = ("fastapi", "starlette", "pydantic", "uvicorn", "uvloop", "httptools")
    code = (
        "import importlib.metadata as m, platform; print(platform.python_version(), "
        f"*(f'{{name}} {{m.version(name)}}' for name in {packages}), sep=', ')"
    )
    versions = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    tool = "scripts/loadtest.py"
    if wrk:
        tool = subprocess.run([wrk, "--version"], capture_output=True, text=True).stdout
    return "\n".join(
        [
            f"Machine: {model[1] if model else platform.processor()}, {os.cpu_count()} CPUs, "
            f"{mebibytes} MiB, Linux {platform.release()}",
            f"Server: one uvicorn worker on CPU {SERVER_CPU} (Python {versions.stdout.strip()})",
            f"Load on CPU {CLIENT_CPU}: {tool.splitlines()[0]} (streams: scripts/loadtest.py)",
            f"Load average before / after: {load_before[0]:.2f} / {load_after[0]:.2f}; "
            f"the run took {seconds:.0f} s",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
