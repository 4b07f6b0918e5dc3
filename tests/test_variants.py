"""Render variants of the template and run each generated project's own checks."""

from pathlib import Path
from typing import Any

import pytest
from pytest_copie.plugin import Copie

from .conftest import render, rendered_files, run_project_checks

VARIANTS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "no-auth": {"auth": False},
    "models-only": {"endpoints": ["models"]},
    "chat-only": {"endpoints": ["chat_completions"], "license": "Apache-2.0"},
    "chat-no-streaming": {"endpoints": ["chat_completions"], "streaming": False, "auth": False},
}


@pytest.mark.parametrize("answers", VARIANTS.values(), ids=VARIANTS.keys())
def test_variant_passes_its_own_checks(copie: Copie, answers: dict[str, Any]) -> None:
    project = render(copie, **answers)

    run_project_checks(project)


def test_default_project_has_seed_layout(copie: Copie) -> None:
    files = rendered_files(render(copie))

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


@pytest.mark.parametrize(
    ("answers", "absent"),
    [
        ({"auth": False}, ["src/demo_api/core/security.py", "tests/api/v1/test_auth.py"]),
        (
            {"endpoints": ["models"]},
            [
                "src/demo_api/api/v1/endpoints/chat.py",
                "src/demo_api/models/chat.py",
                "src/demo_api/services/chat_service.py",
                "tests/api/v1/test_chat.py",
                "tests/services/test_chat_service.py",
            ],
        ),
        (
            {"endpoints": ["chat_completions"]},
            ["src/demo_api/api/v1/endpoints/models.py", "tests/api/v1/test_models.py"],
        ),
        (
            {"streaming": False},
            [
                "src/demo_api/models/chat_stream.py",
                "src/demo_api/utils/sse.py",
                "tests/api/v1/test_chat_stream.py",
            ],
        ),
        (
            {"endpoints": ["models"], "streaming": True},
            ["src/demo_api/models/chat_stream.py", "src/demo_api/utils/sse.py"],
        ),
        ({"license": "none"}, ["LICENSE"]),
    ],
)
def test_deselected_feature_leaves_no_files(
    copie: Copie, answers: dict[str, Any], absent: list[str]
) -> None:
    files = rendered_files(render(copie, **answers))

    assert not files & set(absent)


def test_rendered_text_has_no_jinja_leftovers(copie: Copie) -> None:
    project = render(copie)

    for relative in rendered_files(project) - {"uv.lock"}:
        text = (project / relative).read_text()
        for marker in ("{{ ", " }}", "{%", "%}", "{#"):
            assert marker not in text, f"{relative} contains {marker!r}"


def no_auth_token_in(path: Path) -> bool:
    return "API_AUTH_TOKENS" not in path.read_text()


def test_no_auth_project_mentions_no_tokens(copie: Copie) -> None:
    project = render(copie, auth=False)

    for relative in rendered_files(project) - {"uv.lock", ".copier-answers.yml"}:
        assert no_auth_token_in(project / relative), relative


def test_no_streaming_project_has_no_streaming_code(copie: Copie) -> None:
    project = render(copie, streaming=False)

    for relative in rendered_files(project) - {"uv.lock", ".copier-answers.yml"}:
        text = (project / relative).read_text()
        for trace in ("event-stream", "chat.completion.chunk", "MOCK_TOKEN_DELAY", "utils.sse"):
            assert trace not in text, f"{relative} mentions {trace!r}"
