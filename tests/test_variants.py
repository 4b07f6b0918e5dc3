"""Render variants of the template and run each generated project's own checks."""

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest
from pytest_copie.plugin import Copie

from .conftest import (
    SHARES_DEFAULT_PROJECT,
    SOAK_CHECK,
    git,
    render,
    rendered_files,
    run_in,
    run_project_checks,
    run_static_checks,
)
from .matrix import ALL_ON, FACTORS, LICENSES, VARIANTS, variant_id
from .reserved_names import RESERVED_FILE, unreserved_names

PACKAGE = "src/demo_api"
SLUG = "demo-api"


def expected_files(answers: dict[str, Any]) -> dict[str, bool]:
    """Feature files, each with whether the answers must create it (False: must not)."""
    endpoints = answers["endpoints"]
    chat, completions = "chat_completions" in endpoints, "completions" in endpoints
    embeddings, responses = "embeddings" in endpoints, "responses" in endpoints
    streaming = answers["streaming"]
    proxy = answers["backend"] == "openai_proxy"
    # The gateway's package keeps the mock's code (its tests' upstream), not its served extras.
    serves_mock_double = endpoints != ["models"] and not proxy
    return {
        f"{PACKAGE}/api/v1/endpoints/models.py": "models" in endpoints,
        "tests/api/v1/test_models.py": "models" in endpoints,
        f"{PACKAGE}/api/v1/endpoints/chat.py": chat,
        f"{PACKAGE}/models/chat.py": chat,
        f"{PACKAGE}/services/chat_service.py": chat,
        f"{PACKAGE}/services/mock/chat.py": chat,
        f"{PACKAGE}/services/mock/chat_stream.py": chat and streaming,
        "tests/api/v1/test_chat.py": chat,
        f"{PACKAGE}/models/chat_stream.py": chat and streaming,
        "tests/api/v1/test_chat_stream.py": chat and streaming,
        f"{PACKAGE}/api/v1/endpoints/completions.py": completions,
        f"{PACKAGE}/models/completions.py": completions,
        f"{PACKAGE}/services/completion_service.py": completions,
        f"{PACKAGE}/services/mock/completions.py": completions,
        f"{PACKAGE}/services/mock/completion_stream.py": completions and streaming,
        "tests/api/v1/test_completions_stream.py": completions and streaming,
        "tests/api/v1/test_stream_refused.py": (chat or completions or responses) and not streaming,
        f"{PACKAGE}/api/v1/endpoints/embeddings.py": embeddings,
        f"{PACKAGE}/services/embedding_service.py": embeddings,
        f"{PACKAGE}/services/mock/embeddings.py": embeddings,
        "tests/api/v1/test_embeddings.py": embeddings,
        f"{PACKAGE}/api/v1/endpoints/responses.py": responses,
        f"{PACKAGE}/models/responses.py": responses,
        f"{PACKAGE}/services/response_service.py": responses,
        f"{PACKAGE}/services/mock/responses.py": responses,
        f"{PACKAGE}/services/mock/response_items.py": responses,
        f"{PACKAGE}/models/response_object.py": responses,
        f"{PACKAGE}/services/mock/response_store.py": responses,
        "tests/api/v1/test_responses.py": responses,
        "tests/agent_tool.py": chat or responses,
        "tests/api/v1/test_chat_agent_loop.py": chat,
        "tests/api/v1/test_responses_agent_loop.py": responses,
        "tests/api/v1/test_responses_owners.py": responses and answers["auth"] and not proxy,
        "tests/api/v1/test_chat_tools.py": chat,
        "tests/services/test_response_store.py": responses,
        f"{PACKAGE}/models/response_events.py": responses and streaming,
        f"{PACKAGE}/services/mock/response_stream.py": responses and streaming,
        f"{PACKAGE}/api/v1/response_streaming.py": responses,
        f"{PACKAGE}/utils/response_sse.py": responses and streaming,
        "tests/api/v1/test_responses_stream.py": responses and streaming,
        "tests/response_specs.py": responses,
        "tests/api/v1/test_responses_input_tokens.py": responses,
        "tests/api/v1/test_gateway_response_routes.py": responses and proxy,
        f"{PACKAGE}/services/gateway/response_routes.py": responses and proxy,
        f"{PACKAGE}/models/response_tokens.py": responses,
        f"{PACKAGE}/models/response_compaction.py": responses,
        f"{PACKAGE}/services/mock/compaction.py": responses,
        "tests/api/v1/test_responses_compact.py": responses,
        "tests/api/v1/test_responses_background.py": responses and streaming,
        "tests/api/v1/test_conversations.py": responses,
        f"{PACKAGE}/api/v1/endpoints/conversations.py": responses,
        f"{PACKAGE}/models/conversations.py": responses,
        f"{PACKAGE}/services/conversation_service.py": responses,
        f"{PACKAGE}/services/mock/conversations.py": responses,
        f"{PACKAGE}/services/gateway/conversations.py": responses and proxy,
        "tests/services/test_response_background.py": responses and streaming,
        f"{PACKAGE}/services/mock/background.py": responses and streaming,
        "tests/api/v1/test_responses_conformance.py": responses,
        "tests/api/v1/test_responses_stream_conformance.py": responses and streaming,
        f"{PACKAGE}/models/tools.py": chat or responses,
        f"{PACKAGE}/services/mock/tools.py": chat or responses,
        f"{PACKAGE}/services/mock/arguments.py": False,
        f"{PACKAGE}/services/mock/json_values.py": chat or responses,
        f"{PACKAGE}/services/mock/json_strings.py": chat or responses,
        f"{PACKAGE}/services/mock/json_numbers.py": chat or responses,
        f"{PACKAGE}/services/mock/strict_schema.py": chat or responses,
        f"{PACKAGE}/services/mock/structured.py": chat or responses,
        "tests/services/test_json_values.py": chat or responses,
        "tests/services/test_json_values_property.py": chat or responses,
        "tests/services/test_strict_schema.py": chat or responses,
        "tests/structured_models.py": chat or responses,
        "tests/api/v1/test_chat_structured.py": chat,
        "tests/api/v1/test_chat_structured_stream.py": chat and streaming,
        "tests/api/v1/test_responses_structured.py": responses,
        "tests/api/v1/test_responses_structured_stream.py": responses and streaming,
        "tests/api/v1/test_mock_double_structured.py": chat and serves_mock_double,
        "tests/api/v1/test_gateway_chat_structured.py": chat and proxy,
        "tests/api/v1/test_gateway_responses_structured.py": responses and proxy,
        f"{PACKAGE}/models/generation.py": chat or completions or responses,
        f"{PACKAGE}/services/mock/reply.py": chat or completions or responses,
        f"{PACKAGE}/utils/sse.py": (chat or completions or responses) and streaming,
        "tests/utils/test_sse.py": (chat or completions or responses) and streaming,
        "tests/streams.py": (chat or completions or responses) and streaming,
        "tests/api/v1/test_streaming.py": (chat or completions or responses) and streaming,
        "tests/shutdown.py": True,
        f"{PACKAGE}/core/shutdown.py": True,
        "tests/core/test_shutdown.py": True,
        "tests/test_shutdown.py": True,
        f"{PACKAGE}/middleware/metrics.py": answers["metrics"],
        f"{PACKAGE}/core/metrics_process.py": answers["metrics"],
        "tests/test_metrics.py": answers["metrics"],
        "tests/test_metrics_workers.py": answers["metrics"],
        "tests/test_metrics_tokens.py": answers["metrics"] and (chat or completions or responses),
        f"{PACKAGE}/models/limits.py": endpoints != ["models"],
        "tests/api/v1/test_limits.py": endpoints != ["models"],
        "tests/test_secrets.py": answers["auth"],
        "tests/test_soak.py": chat and answers["streaming"] and answers["metrics"],
        f"{PACKAGE}/utils/tokens.py": chat or completions or responses or embeddings,
        f"{PACKAGE}/services/mock/backend.py": True,
        f"{PACKAGE}/services/gateway/backend.py": proxy,
        f"{PACKAGE}/core/settings.py": True,
        "tests/cases/case.py": True,
        "tests/plugins/backend.py": True,
        f"{PACKAGE}/services/gateway/upstream.py": proxy,
        f"{PACKAGE}/services/gateway/upstream_errors.py": proxy,
        f"{PACKAGE}/services/gateway/upstream_transport.py": proxy,
        f"{PACKAGE}/services/gateway/direct_client.py": proxy,
        f"{PACKAGE}/services/gateway/upstream_connection.py": proxy,
        f"{PACKAGE}/services/gateway/proxied_client.py": proxy,
        f"{PACKAGE}/services/gateway/relay.py": proxy and endpoints != ["models"],
        f"{PACKAGE}/services/gateway/stream_relay.py": proxy
        and (chat or completions or responses)
        and streaming,
        f"{PACKAGE}/services/gateway/service.py": proxy and endpoints != ["models"],
        f"{PACKAGE}/services/gateway/streaming.py": proxy and (chat or completions) and streaming,
        f"{PACKAGE}/services/gateway/upstream_models.py": proxy,
        f"{PACKAGE}/services/gateway/responses.py": proxy and responses,
        f"{PACKAGE}/services/gateway/response_relay.py": proxy and responses and streaming,
        "tests/upstreams.py": proxy,
        "tests/raw_upstreams.py": proxy,
        "tests/services/test_upstream_models.py": proxy,
        "tests/services/test_upstream_tls.py": proxy,
        "tests/services/test_upstream_errors.py": proxy,
        "tests/services/test_upstream_transport.py": proxy,
        "tests/services/test_upstream_events.py": proxy
        and (chat or completions or responses)
        and streaming,
        "tests/api/v1/test_gateway.py": proxy and endpoints != ["models"],
        "tests/api/v1/test_gateway_failures.py": proxy and endpoints != ["models"],
        "tests/api/v1/test_gateway_answers.py": proxy and endpoints != ["models"],
        "tests/api/v1/test_gateway_responses_rate_limits.py": proxy
        and responses
        and answers["rate_limits"],
        "tests/api/v1/test_gateway_stream.py": proxy and (chat or completions) and streaming,
        "tests/api/v1/test_gateway_stream_upstreams.py": proxy
        and (chat or completions)
        and streaming,
        f"{PACKAGE}/core/security.py": answers["auth"],
        "tests/api/v1/test_auth.py": answers["auth"],
        "tests/api/v1/test_open_access.py": not answers["auth"],
        "LICENSE": answers["license"] != "none",
        "scripts/loadtest.py": True,
        f"{PACKAGE}/services/mock/script.py": endpoints != ["models"],
        f"{PACKAGE}/services/mock/script_file.py": endpoints != ["models"],
        f"{PACKAGE}/services/mock/double.py": endpoints != ["models"],
        f"{PACKAGE}/services/mock/journal.py": endpoints != ["models"],
        f"{PACKAGE}/middleware/mock_requests.py": serves_mock_double,
        f"{PACKAGE}/middleware/mock_replay.py": serves_mock_double,
        f"{PACKAGE}/services/mock/recorder.py": endpoints != ["models"],
        f"{PACKAGE}/services/mock/replay.py": endpoints != ["models"],
        f"{PACKAGE}/services/mock/upstream_recording.py": serves_mock_double,
        f"{PACKAGE}/services/gateway/exchange_recording.py": proxy and endpoints != ["models"],
        "tests/services/test_mock_recording.py": endpoints != ["models"],
        "tests/test_record_replay.py": serves_mock_double,
        "tests/test_gateway_recording.py": proxy and endpoints != ["models"],
        f"{PACKAGE}/api/mock_requests.py": serves_mock_double,
        "mock-script.schema.json": serves_mock_double,
        "routes.schema.json": proxy,
        f"{PACKAGE}/services/gateway/routing.py": proxy,
        f"{PACKAGE}/services/gateway/failover.py": proxy,
        f"{PACKAGE}/services/gateway/balancer.py": proxy,
        f"{PACKAGE}/services/gateway/admin.py": proxy,
        f"{PACKAGE}/services/gateway/upstream_events.py": proxy
        and (chat or completions or responses)
        and streaming,
        "tests/services/test_balancer.py": proxy,
        "tests/services/test_failover.py": proxy,
        "tests/api/test_admin_upstreams.py": proxy,
        "tests/services/test_routes_file.py": proxy,
        "tests/api/v1/test_routing.py": proxy and endpoints != ["models"],
        "tests/api/v1/test_routing_streams.py": proxy
        and (chat or completions or responses)
        and streaming,
        "tests/api/v1/test_routing_responses.py": proxy and responses,
        "tests/test_metrics_routing.py": proxy and endpoints != ["models"] and answers["metrics"],
        "tests/services/test_mock_script.py": endpoints != ["models"],
        "tests/services/test_mock_double.py": endpoints != ["models"],
        "tests/api/v1/test_mock_double.py": serves_mock_double,
        "tests/plugins/script.py": serves_mock_double,
        "tests/services/test_mock_script_files.py": serves_mock_double,
        "tests/test_mock_server.py": serves_mock_double,
        "tests/test_loadtest.py": True,
        f"{PACKAGE}/api/v1/generation.py": chat or completions,
        f"{PACKAGE}/api/v1/streaming.py": chat or completions,
        f"{PACKAGE}/api/v1/json_body.py": endpoints != ["models"],
        "tests/api/v1/test_json_body.py": endpoints != ["models"],
        "Dockerfile": answers["docker"],
        ".dockerignore": answers["docker"],
        "docker-compose.yaml": answers["docker"],
        ".github/workflows/ci.yaml": answers["ci"],
        ".github/dependabot.yml": answers["ci"],
        ".pre-commit-config.yaml": answers["ci"],
        f"{PACKAGE}/middleware/rate_limit.py": answers["rate_limits"],
        f"{PACKAGE}/core/rate_limits.py": answers["rate_limits"],
        "tests/plugins/redis.py": answers["rate_limits"],
        "tests/api/v1/test_rate_limits.py": answers["rate_limits"],
        "tests/api/v1/test_rate_limits_redis.py": answers["rate_limits"],
        "tests/redis_server.py": answers["rate_limits"],
        f"{PACKAGE}/services/mock/redis_response_store.py": responses
        and answers["rate_limits"]
        and not proxy,
        "tests/services/test_redis_background.py": responses
        and streaming
        and answers["rate_limits"]
        and not proxy,
        f"{PACKAGE}/services/gateway/redis_response_homes.py": proxy
        and responses
        and answers["rate_limits"],
        "tests/api/v1/test_routing_responses_redis.py": proxy
        and responses
        and answers["rate_limits"],
        "tests/api/v1/test_routing_streams_redis.py": proxy
        and responses
        and streaming
        and answers["rate_limits"],
        "tests/api/v1/test_responses_codex_session.py": responses and streaming,
        f"deploy/helm/{SLUG}/Chart.yaml": answers["kubernetes"],
        f"deploy/helm/{SLUG}/values-production.yaml": answers["kubernetes"],
        f"deploy/helm/{SLUG}/templates/deployment.yaml": answers["kubernetes"],
    }


# Braces that belong in the output: GitHub expressions and Go templates (docker --format).
INTENDED_BRACES = re.compile(r"\$\{\{ [^}]+ \}\}|\{\{ \.[A-Za-z.]+ \}\}")


def assert_no_jinja_leftovers(project: Path, files: set[str]) -> None:
    # A Helm chart's templates are Go templates: their braces are the chart's own.
    chart_templates = {path for path in files if path.startswith(f"deploy/helm/{SLUG}/templates/")}
    for relative in files - {"uv.lock"} - chart_templates:
        text = INTENDED_BRACES.sub("", (project / relative).read_text())
        for marker in ("{{ ", " }}", "{%", "%}", "{#"):
            assert marker not in text, f"{relative} contains {marker!r}"


def setting_names(project: Path) -> set[str]:
    """The environment variables of the project's settings: the fields of the `Settings` that
    core/config.py composes from each feature's class, upper-cased (the project is synced)."""
    code = "from demo_api.core.config import Settings; print(*Settings.model_fields)"
    result = run_in(project, "uv", "run", "--locked", "python", "-c", code)
    assert result.returncode == 0, result.stderr
    return {name.upper() for name in result.stdout.split()}


def assert_settings_documented(project: Path) -> None:
    """Every setting has a row in the generated README's configuration table."""
    readme = (project / "README.md").read_text()
    undocumented = {name for name in setting_names(project) if f"| `{name}` |" not in readme}
    assert not undocumented, f"settings missing from README's table: {sorted(undocumented)}"


def assert_first_commit(project: Path) -> None:
    """The copy is a git project with one commit holding every file but .env."""
    assert (project / ".git").is_dir()
    assert len(git(project, "log", "--format=%H").split()) == 1
    assert git(project, "status", "--porcelain") == ""  # everything committed but .env
    tracked = set(git(project, "ls-files").split())
    assert {"uv.lock", ".copier-answers.yml", "pyproject.toml"} <= tracked
    assert ".env" not in tracked


def no_auth_token_in(path: Path) -> bool:
    return "API_AUTH_TOKENS" not in path.read_text()


def assert_no_token_mentions(project: Path, files: set[str]) -> None:
    """A project without auth does not mention API tokens (its Helm chart included)."""
    for relative in files - {"uv.lock", ".copier-answers.yml"}:
        assert no_auth_token_in(project / relative), relative


def assert_no_streaming_traces(project: Path, files: set[str]) -> None:
    """A project without streaming has no streaming code, nor any mention of it."""
    for relative in files - {"uv.lock", ".copier-answers.yml"}:
        text = (project / relative).read_text()
        for trace in ("event-stream", "chat.completion.chunk", "utils.sse"):
            assert trace not in text, f"{relative} mentions {trace!r}"


@pytest.mark.parametrize("answers", VARIANTS, ids=[variant_id(v) for v in VARIANTS])
def test_variant_has_its_files_and_passes_its_checks(
    copie: Copie, tmp_path: Path, answers: dict[str, Any]
) -> None:
    project = render(copie, **answers)
    assert_first_commit(project)  # before the checks below add their own files

    files = rendered_files(project)
    wrong = {
        path: must for path, must in expected_files(answers).items() if (path in files) != must
    }
    assert not wrong, f"files that must (True) or must not (False) exist: {wrong}"
    assert_no_jinja_leftovers(project, files)
    readme = (project / "README.md").read_text()
    assert readme.startswith(f"# {answers.get('project_name', 'Demo API')}\n")
    if not answers["auth"]:
        assert_no_token_mentions(project, files)
    if not answers["streaming"]:
        assert_no_streaming_traces(project, files)
    run_static_checks(project, tmp_path)
    run_project_checks(project)
    assert_settings_documented(project)
    unreserved = unreserved_names(project)  # what the validators must refuse as its names
    assert not unreserved, f"missing from {RESERVED_FILE.name} (see its header): {unreserved}"
    if answers == ALL_ON:  # the soak test, once: about half a minute of load
        run_project_checks(project, SOAK_CHECK)


def test_matrix_covers_every_pair_of_answer_values() -> None:
    seen = {
        (a, json.dumps(row[a]), b, json.dumps(row[b]))
        for row in VARIANTS
        for a, b in itertools.combinations(FACTORS, 2)
    }
    for a, b in itertools.combinations(FACTORS, 2):
        for value_a, value_b in itertools.product(FACTORS[a], FACTORS[b]):
            assert (a, json.dumps(value_a), b, json.dumps(value_b)) in seen


def test_matrix_checks_every_licence() -> None:
    assert {answers["license"] for answers in VARIANTS} == set(LICENSES)


@SHARES_DEFAULT_PROJECT
def test_default_project_has_seed_layout(default_project: Path) -> None:
    files = rendered_files(default_project)

    package = "src/demo_api"
    assert {
        f"{package}/main.py",
        f"{package}/api/v1/router.py",
        f"{package}/api/v1/endpoints/models.py",
        f"{package}/api/v1/endpoints/chat.py",
        f"{package}/core/config.py",
        f"{package}/core/security.py",
        f"{package}/core/errors.py",
        f"{package}/core/logging.py",
        f"{package}/models/openai.py",
        f"{package}/services/model_service.py",
        f"{package}/services/chat_service.py",
        "tests/conftest.py",
        "pyproject.toml",
        "uv.lock",
        ".python-version",
        ".env.example",
        ".env",
        ".gitignore",
        "README.md",
        "LICENSE",
        ".copier-answers.yml",
    } <= files
