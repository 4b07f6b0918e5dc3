"""The table of the generated server against its ceilings, one section per mode: plain.py and
stream.py each measure their mode and give its section."""

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass

from harness import Figures, Target

# A row of the table: its label, the figure it shows and that figure's format.
Row = tuple[str, str, str]


@dataclass
class Section:
    """One mode's rows of the table, and the requests that failed in its measured runs."""

    lines: list[str]
    failures: float


def alternate(
    mode: str,
    send: Callable[[Target, float], Figures],
    references: list[Target],
    server: Target,
    args: argparse.Namespace,
) -> None:
    """Warm the references up (the runner warmed the server), then run each reference and the
    server in turn, `--rounds` times; each target keeps its figures under `mode`."""
    for target in references:
        send(target, 2.0)
    for round_number in range(1, args.rounds + 1):
        print(f"{mode.capitalize()}: round {round_number} of {args.rounds}", file=sys.stderr)
        for target in (*references, server):
            target.runs.setdefault(mode, []).append(send(target, args.duration))


def section(
    mode: str, rows: list[Row], ceiling: Target, server: Target, floor: Target | None = None
) -> Section:
    """Each row's figure for the ceiling, the floor (if any) and the server, and the ratio of
    server to ceiling; the best run of each by the first row's figure (on a shared machine,
    noise only ever slows a run down)."""
    best = rows[0][1]
    top, ours = ceiling.best(mode, best), server.best(mode, best)
    reference = floor.best(mode, best) if floor is not None else None
    lines = []
    for label, key, spec in rows:
        ratio = ours[key] / top[key] if top[key] else float("nan")
        middle, to_floor = "-", "-"
        if reference is not None:
            middle = f"{reference[key]:{spec}} ({reference[key] / top[key]:.2f}x)"
            to_floor = f"{ours[key] / reference[key]:.2f}x" if reference[key] else "-"
        lines.append(
            f"| {label} | {top[key]:{spec}} | {middle} | {ours[key]:{spec}} | {ratio:.2f}x "
            f"| {to_floor} |"
        )
    targets = [ceiling, server] + ([floor] if floor is not None else [])
    failures = sum(figures["errors"] for target in targets for figures in target.runs[mode])
    return Section(lines, failures)


def table(sections: list[Section]) -> str:
    """One Markdown table of the measured modes' sections."""
    lines = [
        "| Measure | Ceiling | FastAPI floor | Generated server | Server / ceiling "
        "| Server / floor |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for part in sections:
        lines += part.lines
    lines.append("")
    lines.append(f"Failed requests in the measured runs: {sum(s.failures for s in sections):.0f}.")
    return "\n".join(lines)
