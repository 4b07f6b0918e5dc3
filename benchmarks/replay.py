"""How closely the mock replays a recorded stream's timing (MOCK_RECORD_TO, MOCK_REPLAY_SPEED).

    uv run benchmarks/replay.py                 # renders the default project
    uv run benchmarks/replay.py --project DIR   # a rendered project with the mock's script

A recording of one chat stream (a first token after 250 ms, then 80 tokens at 40 per second,
about 2.2 s) is replayed by the project's mock served by uvicorn, and a client reads the stream
over HTTP, timing each event from its request. For each MOCK_REPLAY_SPEED it reports the
recorded and replayed times of the first event and of the whole stream, their ratios (1.00x at
speed 1 is exact; 0.25x is the goal at speed 4), and the latest any event came against its
scaled recorded time. The timing runs in the project's environment (replay_timing.py); it
reports, it asserts nothing.
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import project_env, render_project

HERE = Path(__file__).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="a rendered project (default: render one)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        project = args.project or render_project(
            Path(scratch) / "project", {"project_name": "Bench API"}, "the default project"
        )
        package = next((project / "src").iterdir()).name
        python = str(project / ".venv" / "bin" / "python")
        timing = [python, str(HERE / "replay_timing.py"), package, str(args.rounds)]
        result = subprocess.run(timing, env=project_env(), capture_output=True, text=True)
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        sys.exit(result.returncode)


if __name__ == "__main__":
    main()
