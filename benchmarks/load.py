"""The load of every measurement, sent from the client CPU: wrk for plain requests when it is
installed, else the rendered project's scripts/loadtest.py, which also drives the streams."""

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

from harness import BENCHMARKS, CLIENT_CPU, TOKEN, Figures, Target, project_env

# The mock quotes the prompt after a 9-token prefix: 245 words make 254 content chunks,
# 256 with the role chunk and the finish chunk.
STREAM_PROMPT_WORDS, STREAM_CHUNKS = 245, 256
PLAIN_PROMPT_WORDS = 32
CHAT_PATH = "/v1/chat/completions"

WRK_SCRIPT = """\
local file = io.open("{body_file}", "rb")
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
"""


class LoadDriver:
    """Sends the benchmark requests from CPU 1: wrk (plain, if given) or scripts/loadtest.py."""

    def __init__(
        self,
        project: Path,
        python: str,
        scratch: Path,
        wrk: str | None,
        args: argparse.Namespace,
        model: str = "mock-model",
    ) -> None:
        self.project, self.python, self.scratch, self.wrk = project, python, scratch, wrk
        self.connections, self.streams, self.model = args.connections, args.streams, model
        if wrk:
            body_file = scratch / "plain.json"
            body_file.write_bytes(self.body(PLAIN_PROMPT_WORDS, stream=False))
            self.wrk_script = scratch / "post.lua"
            self.wrk_script.write_text(WRK_SCRIPT.format(body_file=body_file, token=TOKEN))

    def body(self, prompt_words: int, stream: bool) -> bytes:
        """loadtest.py's request, so that every tool sends the same bytes."""
        code = (
            "import sys, loadtest; sys.stdout.buffer.write(loadtest.request_body("
            f"loadtest.LoadConfig(prompt_words={prompt_words}, stream={stream}, "
            f"model={self.model!r})))"
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

    def client_cost(self, target: Target, python: str, package: str) -> Figures:
        """benchmarks/client_cost.py against the target, run by `python` (a gateway's, whose
        package is `package`): a round trip of the gateway's client, and a socket's."""
        body_file = self.scratch / "client-cost.json"
        body_file.write_bytes(self.body(PLAIN_PROMPT_WORDS, stream=False))
        argv = [python, str(BENCHMARKS / "client_cost.py"), package, target.url, TOKEN]
        argv.append(str(body_file))
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
        argv += ["--base-url", f"{target.url}/v1", "--token", TOKEN, "--model", self.model, *args]
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
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
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
