"""Resident memory: a server's (the generated one, the gateway) after warm-up against its after
`--memory-requests` requests in all (those of the warm-up and the measured runs count; the
rest are plain)."""

import argparse
import sys

from harness import Target, resident_kib
from load import LoadDriver


def measure(
    load: LoadDriver, server: Target, rss_warm: int, sent: int, args: argparse.Namespace
) -> str:
    """Send what `--memory-requests` still lacks after `sent`; the growth since `rss_warm`."""
    print(f"Memory: {args.memory_requests} requests in all", file=sys.stderr)
    sent += load.until(server, args.memory_requests - sent)
    rss_after = resident_kib(server)
    growth = (rss_after - rss_warm) / rss_warm
    return (
        f"Resident memory of the {server.name}: {rss_warm / 1024:.1f} MiB after warm-up, "
        f"{rss_after / 1024:.1f} MiB after {sent:,} requests ({growth:+.1%})."
    )
