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

from harness import run_in_default_project

if __name__ == "__main__":
    run_in_default_project(__doc__, "replay_timing.py", rounds=3)
