"""What `backend=openai_proxy` adds in front of an upstream.

The upstream is the rendered mock (the generated server `run.py` measures); the gateway is the
same project rendered with `backend=openai_proxy`, pointed at it. Both are one uvicorn worker
on the server CPU; load comes from the client CPU with scripts/loadtest.py. The upstream is
called directly, then through the gateway, at each concurrency, plain and streamed, in turns;
the best run of each is kept. Added latency is the gateway's figure minus the direct one.
"""

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import memory
import routing
from harness import TOKEN, Figures, Target, render_project, resident_kib, serving
from load import LoadDriver

CONCURRENCIES = (1, 32)
MODES = ("plain", "stream")


@dataclass
class GatewayRuns:
    """Every run: (target name, mode, concurrency) -> figures of each round."""

    runs: dict[tuple[str, str, int], list[Figures]] = field(default_factory=dict)
    # One request at a time to the upstream from the client CPU: the gateway's client and a
    # plain socket.
    client: Figures = field(default_factory=dict)

    def add(self, name: str, mode: str, concurrency: int, figures: Figures) -> None:
        self.runs.setdefault((name, mode, concurrency), []).append(figures)

    def of(self, name: str) -> list[Figures]:
        """Every run of the target `name`."""
        return [figures for key, runs in self.runs.items() if key[0] == name for figures in runs]

    def best(self, name: str, mode: str, concurrency: int) -> Figures:
        # The fastest run: on a shared machine, noise only ever slows a run down.
        return max(self.runs[(name, mode, concurrency)], key=lambda f: f["requests_per_second"])


def measure(
    load: LoadDriver, upstream: Target, scratch: Path, log: IO[bytes], args: argparse.Namespace
) -> str:
    """Render the gateway into `scratch`, serve it in front of the (serving) upstream, measure
    both; the table."""
    project = render_project(
        scratch / "gateway",
        {"project_name": "Bench Gateway", "backend": "openai_proxy"},
        "the gateway project",
    )
    python = str(project / ".venv" / "bin" / "python")
    package = next((project / "src").iterdir()).name
    gateway = Target("gateway", [python, "-m", package], gateway_env(upstream.url, TOKEN))
    with serving(gateway, log):
        # Warm-up at the measured concurrency, before the memory baseline: the gateway's pool
        # then holds the upstream connections the load will use.
        load.run(gateway, 2.0, args.connections, False)
        rss_warm = resident_kib(gateway)
        runs = measure_through(load, upstream, gateway, args)
        print("The HTTP client alone", file=sys.stderr)
        runs.client = load.client_cost(upstream, python, package)
        sent = sum(int(figures["requests"]) for figures in runs.of(gateway.name))
        growth = memory.measure(load, gateway, rss_warm, sent, args)
        routed = ""
        if "routing" in args.modes.split(","):  # in the same run, against the same gateway
            routed = "\n\n" + routing.measure(
                load, gateway, upstream.url, TOKEN, scratch, log, args
            )
    return table(runs, upstream.name, gateway.name) + "\n\n" + growth + routed


def gateway_env(upstream_url: str, token: str) -> dict[str, str]:
    """The gateway's settings: the upstream, its key, the same auth and log as the server."""
    return {
        "UPSTREAM_BASE_URL": f"{upstream_url}/v1",
        "UPSTREAM_API_KEY": token,
        "API_AUTH_TOKENS": token,
        "MODELS": "mock-model",
        "LOG_LEVEL": "INFO",
    }


def measure_through(
    load: LoadDriver, upstream: Target, gateway: Target, args: argparse.Namespace
) -> GatewayRuns:
    """Upstream directly, then through the gateway, for each mode and concurrency, in turns."""
    runs = GatewayRuns()
    for target in (upstream, gateway):  # warm-up
        for stream in (False, True):
            load.run(target, 1.0, 8, stream)
    for round_number in range(1, args.rounds + 1):
        print(f"Gateway round {round_number} of {args.rounds}", file=sys.stderr)
        for mode in MODES:
            for concurrency in CONCURRENCIES:
                for target in (upstream, gateway):
                    figures = load.run(target, args.duration, concurrency, mode == "stream")
                    runs.add(target.name, mode, concurrency, figures)
    return runs


def table(runs: GatewayRuns, upstream: str, gateway: str) -> str:
    """One Markdown table: each figure directly and through the gateway, and what the gateway
    adds (milliseconds) or keeps (throughput ratio)."""
    lines = [
        "| Measure | Upstream directly | Through the gateway | Gateway adds |",
        "| --- | ---: | ---: | ---: |",
    ]
    rows = {
        "plain": [
            ("requests/s", "requests_per_second"),
            ("latency p50 (ms)", "latency_p50_ms"),
            ("latency p99 (ms)", "latency_p99_ms"),
        ],
        "stream": [
            ("streams/s", "requests_per_second"),
            ("time to first chunk p50 (ms)", "first_chunk_p50_ms"),
            ("time to first chunk p99 (ms)", "first_chunk_p99_ms"),
            ("chunks/s", "chunks_per_second"),
        ],
    }
    failures = 0.0
    for mode in MODES:
        for concurrency in CONCURRENCIES:
            direct = runs.best(upstream, mode, concurrency)
            through = runs.best(gateway, mode, concurrency)
            kind = "Plain chat completions" if mode == "plain" else "Streamed (256 chunks)"
            for label, key in rows[mode]:
                if key.endswith("_ms"):
                    added = f"{through[key] - direct[key]:+.2f} ms"
                    cells = f"{direct[key]:.2f} | {through[key]:.2f}"
                else:
                    ratio = through[key] / direct[key] if direct[key] else float("nan")
                    added = f"{ratio:.2f}x"
                    cells = f"{direct[key]:,.0f} | {through[key]:,.0f}"
                lines.append(f"| {kind}, concurrency {concurrency}: {label} | {cells} | {added} |")
    for figures in (f for runs_of in runs.runs.values() for f in runs_of):
        failures += figures["errors"]
    lines.append("")
    lines.append(f"Failed requests in the measured gateway runs: {failures:.0f}.")
    lines += ["", client_table(runs.client)]
    return "\n".join(lines)


def client_table(client: Figures) -> str:
    """What the gateway's HTTP client costs by itself, in the same units."""
    lines = [
        "| One request at a time to the upstream | Plain socket | The gateway's client"
        " | The client adds |",
        "| --- | ---: | ---: | ---: |",
    ]
    for label in ("p50", "p99"):
        socket, ours = client[f"socket_{label}_ms"], client[f"client_{label}_ms"]
        lines.append(
            f"| round trip {label} (ms) | {socket:.2f} | {ours:.2f} | {ours - socket:+.2f} ms |"
        )
    return "\n".join(lines)
