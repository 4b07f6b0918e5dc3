"""Side by side with the original blueprint, karolow/openai-api-blueprint (the FastAPI project
this template started from), as shipped at ORIGINAL_COMMIT.

Both serve plain chat completions on one uvicorn worker on the server CPU, with their access
log on (ours: the request log; theirs: uvicorn's), and get the same load, in turns; the best
run of each is kept. The original serves only its own model names, so both are asked for
MODEL (ours through MODELS). Its per-minute rate limit is set out of reach: ours has none by
default. The claim is the ratio of requests per second.
"""

import argparse
import subprocess
import sys
from pathlib import Path
from typing import IO

import comparison
from harness import TOKEN, Target, project_env, serving
from load import LoadDriver

ORIGINAL_URL = "https://github.com/karolow/openai-api-blueprint"
ORIGINAL_COMMIT = "d7338d19b94be0171d873fe87289a05135923e60"
MODE = "original"
MODEL = "blueprint-standard"  # one of the original's model names


def checkout(scratch: Path, source: str | None) -> Path:
    """The original project at ORIGINAL_COMMIT, synced: cloned from `source` (a clone or
    mirror of it) or from GitHub."""
    destination = scratch / "original"
    print(f"Cloning the original blueprint into {destination}", file=sys.stderr)
    clone = ["git", "clone", "--quiet", source or ORIGINAL_URL, str(destination)]
    try:
        subprocess.run(clone, check=True)
    except subprocess.CalledProcessError:
        sys.exit(f"Could not clone {source or ORIGINAL_URL}: pass --original <a clone of it>.")
    subprocess.run(["git", "checkout", "--quiet", ORIGINAL_COMMIT], cwd=destination, check=True)
    subprocess.run(["uv", "sync", "--quiet"], cwd=destination, env=project_env(), check=True)
    return destination


def original_target(project: Path) -> Target:
    python = str(project / ".venv" / "bin" / "python")
    argv = [python, "-m", "uvicorn", "openai_api_blueprint.main:app", "--log-level", "info"]
    env = {
        "ENVIRONMENT": "development",
        "API_AUTH_TOKENS": TOKEN,
        "LOG_LEVEL": "INFO",
        "RATE_LIMIT_PER_MINUTE": "1000000000",
    }
    return Target("original blueprint", argv, env)


def measure(
    load: LoadDriver,
    server: Target,
    project: Path,
    scratch: Path,
    log: IO[bytes],
    args: argparse.Namespace,
) -> str:
    """Serve the original and the generated server (as `server`, serving MODEL) and run both in
    turns; the table."""
    original = original_target(project)
    ours = Target(server.name, server.argv, {**server.env, "MODELS": MODEL})
    (scratch / "original-load").mkdir()
    # The same load, asking for MODEL.
    asking = LoadDriver(
        load.project, load.python, scratch / "original-load", load.wrk, args, model=MODEL
    )
    with serving(original, log), serving(ours, log):
        asking.plain(ours, 2.0)  # warm-up (alternate warms the original)
        comparison.alternate(MODE, asking.plain, [original], ours, args)
    theirs = original.best(MODE, "requests_per_second")
    mine = ours.best(MODE, "requests_per_second")
    lines = [
        f"| Plain chat completions, {args.connections} connections | Original blueprint"
        " | Generated server | Generated ÷ original |",
        "| --- | ---: | ---: | ---: |",
    ]
    for label, key, spec in (
        ("requests/s", "requests_per_second", ",.0f"),
        ("latency p50 (ms)", "latency_p50_ms", ".2f"),
        ("latency p99 (ms)", "latency_p99_ms", ".2f"),
    ):
        ratio = mine[key] / theirs[key]
        lines.append(f"| {label} | {theirs[key]:{spec}} | {mine[key]:{spec}} | {ratio:.2f}x |")
    errors = sum(figures["errors"] for figures in original.runs[MODE] + ours.runs[MODE])
    return "\n".join([*lines, "", f"Failed requests in these runs: {errors:.0f}."])
