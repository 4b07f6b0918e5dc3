"""scripts/loadtest.py against the app over HTTP with uvicorn (test_loadtest_chat.py: chat
completions measured, in-process too)."""

from dataclasses import replace

from loadtest import LoadConfig, parse_args, run_load, summary

from .cases import MODEL
from .conftest import API_TOKEN, BASE_URL

# A few clients for a second; tests replace the fields they are about.
LOAD = LoadConfig(
    base_url=f"{BASE_URL}/v1", token=API_TOKEN, model=MODEL, concurrency=4, duration=1.0
)


def test_parse_args_takes_request_count_instead_of_duration() -> None:
    config, as_json = parse_args(["--stream", "--requests", "5", "--json", "--concurrency", "2"])

    assert (config.stream, config.requests, config.duration, config.concurrency) == (
        True,
        5,
        None,
        2,
    )
    assert as_json


async def test_loadtest_counts_failures_by_status(server_url: str) -> None:
    config = replace(LOAD, base_url=server_url, model="no-such-model", requests=20, duration=None)

    results = await run_load(config)

    report = summary(results, stream=False)
    assert report["requests"] == 0
    assert report["errors"] == {"404": 20}
