"""What hostile JSON Schemas cost the mock's structured outputs, against an ordinary one.

    uv run benchmarks/hostile_schemas.py                 # renders the default project
    uv run benchmarks/hostile_schemas.py --project DIR   # a rendered project with chat

For each schema (deeply nested, wide, recursive, multiplying, contradictory, an unsupported
pattern, ...) it times what a chat request with that `response_format` costs the mock: reading
the format, the strict checks, generating the value and checking it with jsonschema, or the 400
it ends in. Each is the best of `--rounds` runs, in milliseconds and as a ratio to the
ordinary schema (a Pydantic model of 11 fields) timed in the same run. The issue's bound is
100 ms each; this reports, it asserts nothing. The timing itself runs in the project's
environment (schema_timing.py).
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
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        project = args.project or render_project(
            Path(scratch) / "project", {"project_name": "Bench API"}, "the default project"
        )
        package = next((project / "src").iterdir()).name
        python = str(project / ".venv" / "bin" / "python")
        timing = [python, str(HERE / "schema_timing.py"), package, str(args.rounds)]
        result = subprocess.run(timing, env=project_env(), capture_output=True, text=True)
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        sys.exit(result.returncode)


if __name__ == "__main__":
    main()
