"""What a gateway route (ROUTES_FILE) adds over the gateway's single upstream.

Measured in the gateway mode's run (gateway.py), on the same rendered gateway project: the plain
gateway (UPSTREAM_BASE_URL) and a routed one, whose model is a route with two deployments, both
the same upstream under the same name (no body rewriting: what is measured is the choice of a
deployment, the attempt's bookkeeping and the answer's header). One uvicorn worker each on the
server CPU; plain chat completions from the client CPU at concurrency 1 and 32, in turns; the
best run of each is kept.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import IO

from harness import Figures, Target, serving
from load import LoadDriver

CONCURRENCIES = (1, 32)
KEY_VARIABLE = "BENCH_UPSTREAM_KEY"


def routes_file(scratch: Path, upstream_url: str) -> Path:
    """Two deployments of the benchmark's model, both at the upstream."""
    deployment = {"url": f"{upstream_url}/v1", "api_key_env": KEY_VARIABLE}
    routes = {"routes": [{"model": "mock-model", "deployments": [deployment, deployment]}]}
    path = scratch / "routes.json"
    path.write_text(json.dumps(routes))
    return path


def measure(
    load: LoadDriver,
    gateway: Target,
    upstream_url: str,
    token: str,
    scratch: Path,
    log: IO[bytes],
    args: argparse.Namespace,
) -> str:
    """Serve the routed gateway beside the (serving) plain one and measure both; the table."""
    env = {**gateway.env, "ROUTES_FILE": str(routes_file(scratch, upstream_url))}
    routed = Target("routed gateway", gateway.argv, {**env, KEY_VARIABLE: token})
    runs: dict[tuple[str, int], list[Figures]] = {}
    with serving(routed, log):
        load.run(routed, 1.0, 8, False)  # warm-up
        for round_number in range(1, args.rounds + 1):
            print(f"Routing round {round_number} of {args.rounds}", file=sys.stderr)
            for concurrency in CONCURRENCIES:
                for target in (gateway, routed):
                    figures = load.run(target, args.duration, concurrency, False)
                    runs.setdefault((target.name, concurrency), []).append(figures)
    return table(runs, gateway.name, routed.name)


def table(runs: dict[tuple[str, int], list[Figures]], plain: str, routed: str) -> str:
    """Each figure through the plain and the routed gateway, and what routing adds."""

    def best(name: str, concurrency: int) -> Figures:
        return max(runs[(name, concurrency)], key=lambda figures: figures["requests_per_second"])

    lines = [
        "| Plain chat completions | Gateway, one upstream | Route of two deployments"
        " | Routing adds |",
        "| --- | ---: | ---: | ---: |",
    ]
    for concurrency in CONCURRENCIES:
        one, two = best(plain, concurrency), best(routed, concurrency)
        for label in ("p50", "p99"):
            key = f"latency_{label}_ms"
            added = (two[key] - one[key]) * 1000
            lines.append(
                f"| concurrency {concurrency}: latency {label} (ms) | {one[key]:.3f} | "
                f"{two[key]:.3f} | {added:+.0f} µs |"
            )
        ratio = two["requests_per_second"] / one["requests_per_second"]
        lines.append(
            f"| concurrency {concurrency}: requests/s | {one['requests_per_second']:,.0f} | "
            f"{two['requests_per_second']:,.0f} | {ratio:.3f}x |"
        )
    errors = sum(figures["errors"] for figures_of in runs.values() for figures in figures_of)
    lines += ["", f"Failed requests in the routing runs: {errors:.0f}."]
    return "\n".join(lines)
