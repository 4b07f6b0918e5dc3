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

This file is the runner: arguments, the rendered project, the generated server, the report.
Each measurement is a module with one function the runner calls: plain.py and stream.py (the
server against its ceilings, one table, comparison.py), original.py (side by side with the
original blueprint), memory.py, gateway.py and metrics.py.
harness.py renders and serves, load.py sends the load; ceilings.py and client_cost.py run in
a rendered project's environment (client_cost.py in the gateway's).
"""

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import comparison
import gateway
import memory
import metrics
import original
import plain
import readme
import stream
from harness import (
    CLIENT_CPU,
    SERVER_CPU,
    SERVER_ENV,
    TOKEN,
    Target,
    render_project,
    resident_kib,
    serving,
)
from load import CHAT_PATH, PLAIN_PROMPT_WORDS, STREAM_CHUNKS, STREAM_PROMPT_WORDS, LoadDriver


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
        "--write-readme",
        action="store_true",
        help="also write the tables into README.md's benchmark blocks (readme.py)",
    )
    parser.add_argument(
        "--modes",
        default="plain,stream,metrics,gateway,routing,original",
        help="what to measure (plain,stream,metrics,gateway,routing: with gateway,original)",
    )
    parser.add_argument(
        "--original", help="a clone of karolow/openai-api-blueprint (default: from GitHub)"
    )
    args = parser.parse_args()
    if len(os.sched_getaffinity(0)) < 2 or not shutil.which("taskset"):
        sys.exit("This needs two CPUs and taskset (util-linux): one for the server, one for load.")
    wrk = None if args.no_wrk else shutil.which("wrk")

    with tempfile.TemporaryDirectory(prefix="bench-") as scratch_dir:
        scratch = Path(scratch_dir)
        project = args.project or render_project(
            scratch / "project", {"project_name": "Bench API"}, "the default project"
        )
        python = str(project / ".venv" / "bin" / "python")
        package = next((project / "src").iterdir()).name
        modes = args.modes.split(",")
        log = (scratch / "servers.log").open("wb")
        blueprint = original.checkout(scratch, args.original) if "original" in modes else None
        server = Target("generated server", [python, "-m", package], SERVER_ENV)
        capture = scratch / "capture.json"
        load = LoadDriver(project, python, scratch, wrk, args)

        started, load_before = time.time(), os.getloadavg()
        sections: list[comparison.Section] = []
        gateway_report = None
        with serving(server, log):
            # What the ceilings answer: the generated server's own answers.
            capture.write_text(json.dumps(capture_answers(server.url, load)))
            print("Warming up", file=sys.stderr)
            warm_up = [load.plain(server, 2.0), load.stream(server, 2.0)]
            rss_warm = resident_kib(server)
            if "plain" in modes:
                sections.append(plain.measure(load, server, python, capture, log, args))
            if "stream" in modes:
                sections.append(stream.measure(load, server, python, capture, log, args))
            measured = [figures for runs in server.runs.values() for figures in runs]
            sent = sum(int(figures["requests"]) for figures in warm_up + measured)
            memory_report = memory.measure(load, server, rss_warm, sent, args)
            original_report = None
            if blueprint is not None:
                original_report = original.measure(load, server, blueprint, scratch, log, args)
            if "gateway" in modes or "routing" in modes:
                gateway_report = gateway.measure(load, server, scratch, log, args)
        measured_on = machine(python, wrk, load_before, os.getloadavg(), time.time() - started)
        print(measured_on)
        print()
        print(comparison.table(sections))
        print()
        if original_report is not None:
            print(original_report)
            print()
        if gateway_report is not None:
            print(gateway_report)
            print()
        print(memory_report)
        if args.write_readme:
            machine_list = "\n".join(f"- {line}" for line in measured_on.splitlines())
            heading = f"{run_line()}\n\n{machine_list}\n\n"
            blocks = {"gateway": heading + gateway_report} if gateway_report else {}
            if sections:
                reports = [comparison.table(sections), original_report, memory_report]
                blocks["mock"] = heading + "\n\n".join(filter(None, reports))
            readme.write_blocks(blocks)
            print(f"\nWrote {', '.join(blocks)} into {readme.README}", file=sys.stderr)
        if "metrics" in modes:
            print()
            print(metrics.measure(server.argv, load, log, args))
    return 0


def post(url: str, body: bytes) -> tuple[int, str, bytes]:
    request = urllib.request.Request(
        url,
        data=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.headers["content-type"], response.read()


def capture_answers(base_url: str, load: LoadDriver) -> dict[str, object]:
    """The generated server's answers to the benchmark requests, for the ceilings to replay."""
    url = base_url + CHAT_PATH
    status, content_type, body = post(url, load.body(PLAIN_PROMPT_WORDS, stream=False))
    if status != 200:
        sys.exit(f"The generated server answered {status}: {body!r}")
    _, _, stream_body = post(url, load.body(STREAM_PROMPT_WORDS, stream=True))
    events = [event + "\n\n" for event in stream_body.decode().split("\n\n") if event]
    if len(events) != STREAM_CHUNKS + 1 or events[-1] != "data: [DONE]\n\n":
        sys.exit(f"Expected {STREAM_CHUNKS} chunks and [DONE], got {len(events)} events")
    return {
        "plain": {"content_type": content_type, "body": body.decode()},
        "stream": {"events": events},
    }


def run_line() -> str:
    """The command and date of this run, for the figures it published."""
    arguments = sys.argv[1:]
    # A clone's path is this machine's: the command names what it stands for.
    shown = [
        "<a clone of the original>" if before == "--original" else argument
        for before, argument in zip(["", *arguments], arguments, strict=False)
    ]
    command = " ".join(["uv run benchmarks/run.py", *shown])
    return f"Measured with `{command}` on {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC."


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
