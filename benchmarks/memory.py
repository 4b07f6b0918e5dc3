"""Resident memory: a server's (the generated one, the gateway) after warm-up, after half of
`--memory-requests` requests in all and after all of them (those of the warm-up and the
measured runs count; the rest are plain). A leak grows in both halves; what a server sets up
once (a pool's connections, caches filled at their bound) shows in the first half only."""

import argparse
import sys

from harness import Target, resident_kib
from load import LoadDriver


def measure(
    load: LoadDriver, server: Target, rss_warm: int, sent: int, args: argparse.Namespace
) -> str:
    """Send what `--memory-requests` still lacks after `sent`, in two halves; the growth since
    `rss_warm`, and in the second half."""
    print(f"Memory: {args.memory_requests} requests in all", file=sys.stderr)
    sent += load.until(server, args.memory_requests // 2 - sent)
    rss_half, half = resident_kib(server), sent
    sent += load.until(server, args.memory_requests - sent)
    rss_after = resident_kib(server)
    growth = (rss_after - rss_warm) / rss_warm
    second_half = (rss_after - rss_half) / rss_half
    return (
        f"Resident memory of the {server.name}: {rss_warm / 1024:.1f} MiB after warm-up, "
        f"{rss_half / 1024:.1f} MiB after {half:,} requests, {rss_after / 1024:.1f} MiB after "
        f"{sent:,} ({growth:+.1%} in all, {second_half:+.1%} in the second half)."
    )
