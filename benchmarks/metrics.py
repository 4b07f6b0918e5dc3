"""What Prometheus metrics cost: the generated server with and without them (METRICS_ENABLED),
plain requests and streams."""

import argparse
import sys
from typing import IO

from harness import SERVER_ENV, Target, serving
from load import LoadDriver


def measure(argv: list[str], load: LoadDriver, log: IO[bytes], args: argparse.Namespace) -> str:
    """The generated server with and without its Prometheus metrics, both serving at once and
    measured in turn, `--rounds` times; a table of the best runs and the cost of metrics per
    request (on one pinned worker, 1 / throughput is the time a request takes the server)."""
    with_metrics = Target("with metrics", argv, SERVER_ENV)
    without = Target("without metrics", argv, {**SERVER_ENV, "METRICS_ENABLED": "false"})
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
