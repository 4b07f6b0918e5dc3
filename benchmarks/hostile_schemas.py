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

from harness import run_in_default_project

if __name__ == "__main__":
    run_in_default_project(__doc__, "schema_timing.py", rounds=5)
