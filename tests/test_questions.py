"""copier.yml: defaults derived from earlier answers, validators, answers file, post-copy task."""

import ast
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from pytest_copie.plugin import Copie

from extensions import setup_project
from extensions.context import (
    author_email_error,
    escape_string,
    free_text_error,
    is_relative_path,
    package_name_error,
    project_name_error,
    project_slug_error,
    python_string,
    slugify,
)

from .conftest import dev_tool, render, rendered_files

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("value", "separator", "expected"),
    [
        ("OpenAI API Blueprint", "-", "openai-api-blueprint"),
        ("OpenAI API Blueprint", "_", "openai_api_blueprint"),
        ("  Café  déjà-vu! 2 ", "-", "cafe-deja-vu-2"),
    ],
)
def test_slugify(value: str, separator: str, expected: str) -> None:
    assert slugify(value, separator) == expected


@pytest.mark.parametrize("value", ['say "hi"', "back\\slash", "plain", 'both \\"'])
def test_escape_string_round_trips_through_a_python_literal(value: str) -> None:
    assert ast.literal_eval(f'"{escape_string(value)}"') == value


@pytest.mark.parametrize(
    ("value", "literal"),
    [("plain", '"plain"'), ("it's", '"it\'s"'), ('say "hi"', "'say \"hi\"'"), ("a\\b", '"a\\\\b"')],
)
def test_python_string_quotes_like_ruff(value: str, literal: str) -> None:
    assert python_string(value) == literal
    assert ast.literal_eval(literal) == value


@pytest.mark.parametrize("name", ["x", "My API", "Éclair 2"])
def test_project_name_accepts(name: str) -> None:
    assert project_name_error(name) == ""


@pytest.mark.parametrize(
    ("name", "message"), [("", "must not be empty"), ("2fast", "must start with a letter")]
)
def test_project_name_rejects(name: str, message: str) -> None:
    assert message in project_name_error(name)


@pytest.mark.parametrize("slug", ["a", "my-api", "api2"])
def test_project_slug_accepts(slug: str) -> None:
    assert project_slug_error(slug) == ""


@pytest.mark.parametrize(
    "slug", ["My-API", "-api", "2api", "my_api", "my api", "", "my-api-", "my--api"]
)
def test_project_slug_rejects(slug: str) -> None:
    assert "Lowercase words joined by single hyphens" in project_slug_error(slug)


@pytest.mark.parametrize("text", ["Demo\nAPI", "tab\there", "cr\r", "nul\x00", "ls\u2028"])
def test_free_text_rejects_control_characters(text: str) -> None:
    assert "one line, without control characters" in free_text_error(text, "description")
    assert "one line, without control characters" in project_name_error(text)


@pytest.mark.parametrize(
    "slug",
    [
        *("pytest", "fastapi", "openai", "uvicorn", "pydantic-settings", "limits", "redis"),
        *("prometheus-client", "hypothesis", "h11", "click"),
    ],
)
def test_project_slug_rejects_names_the_project_uses(slug: str) -> None:
    assert "package or command the project uses" in project_slug_error(slug)


@pytest.mark.parametrize("name", ["my_api", "api2", "openai_api_blueprint"])
def test_package_name_accepts(name: str) -> None:
    assert package_name_error(name) == ""


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("my-api", "Python identifier"),
        ("2api", "Python identifier"),
        ("My_Api", "lowercase"),
        ("class", "keyword"),
        ("match", "keyword"),
        ("json", "shadow"),
        ("fastapi", "shadow"),
        ("openai", "shadow"),
        ("tests", "shadow"),
        ("yaml", "shadow"),
        ("limits", "shadow"),
        ("redis", "shadow"),
        ("prometheus_client", "shadow"),
        ("hypothesis", "shadow"),
        ("click", "shadow"),
        ("h11", "shadow"),
        ("annotated_types", "shadow"),
    ],
)
def test_package_name_rejects(name: str, message: str) -> None:
    assert message in package_name_error(name)


LONG = "a-very-long-answer-that-goes-on-" * 4


@pytest.mark.parametrize(
    "message",
    [
        project_name_error("1" + LONG),
        project_name_error("Demo\nAPI"),
        free_text_error("x\ty", "author name"),
        project_slug_error(LONG.upper()),
        project_slug_error("prometheus-client"),
        package_name_error(LONG),
        package_name_error("Upper" + LONG.replace("-", "_")),
        package_name_error("match"),
        package_name_error("typing_extensions"),
        author_email_error(LONG + "@"),
    ],
)
def test_validator_messages_fit_copiers_prompt_line(message: str) -> None:
    assert 0 < len(message) <= 80, message


@pytest.mark.parametrize(
    ("email", "valid"),
    [
        ("", True),
        ("a@b.io", True),
        ("ada.l+api@mail.example.co.uk", True),
        ("nope", False),
        ('a"b@c.io', False),
        ("a\\b@c.io", False),
        ("Ada <a@b.io>", False),
        ("a@b.io\n", False),
    ],
)
def test_author_email(email: str, valid: bool) -> None:
    assert (author_email_error(email) == "") is valid


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"project_name": "1st API"}, "must start with a letter"),
        ({"project_slug": "Bad Slug"}, "Lowercase words joined by single hyphens"),
        ({"project_slug": "my-api-"}, "Lowercase words joined by single hyphens"),
        ({"project_name": "Demo\nAPI"}, "project name must be one line"),
        ({"description": "One line\nand another"}, "description must be one line"),
        ({"author_name": "Ada\tLovelace"}, "author name must be one line"),
        ({"author_email": 'a"b@c.io'}, "no spaces, quotes"),
        (
            {"project_name": "Pytest", "package_name": "my_pytest"},
            "a package or command the project uses: 'pytest'",
        ),
        ({"package_name": "json"}, "Would shadow a module"),
        ({"endpoints": []}, "at least one endpoint"),
        ({"license": "GPL"}, "GPL"),
    ],
)
def test_copy_with_invalid_answer_fails_with_message(
    copie: Copie, answers: dict[str, Any], message: str
) -> None:
    result = copie.copy(extra_answers={"project_name": "Demo API", **answers})

    assert result.exit_code != 0
    assert message in str(result.exception)


def test_copy_says_plainly_when_uv_lock_fails(tmp_path: Path) -> None:
    # The copier command as users run it, with a uv that fails to lock (copier's tasks see the
    # environment of the process that started copier, so this is a process of its own).
    failing_uv = tmp_path / "uv"
    failing_uv.write_text("#!/bin/sh\necho 'error: the index is unreachable' >&2\nexit 2\n")
    failing_uv.chmod(0o755)
    project = tmp_path / "demo-api"
    command = [dev_tool("copier"), "copy", "--trust", "--defaults", "--vcs-ref", "HEAD"]
    relative = os.path.relpath(TEMPLATE_ROOT, tmp_path)  # as `copier copy ../template ...`
    result = subprocess.run(
        [*command, relative, str(project)],
        cwd=tmp_path,
        env=os.environ | {"UV": str(failing_uv)},
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert not (project / "uv.lock").exists()
    output = result.stdout + result.stderr
    assert "ERROR: `uv lock` failed (exit status 2)" in output
    assert "NOT ready" in output
    assert "is ready" not in output
    # A relative template path is kept as given, where `copier update` cannot find it.
    assert f'the template was given as a relative path, "{relative}"' in output


@pytest.mark.parametrize(
    ("source", "relative"),
    [
        ("../template", True),
        ("template", True),
        ("/home/me/template", False),
        ("~/template", False),
        ("https://github.com/me/template.git", False),
        ("gh:me/template", False),
        ("git@github.com:me/template.git", False),
    ],
)
def test_is_relative_path(source: str, relative: bool) -> None:
    assert is_relative_path(source) is relative


def test_names_derive_from_project_name(copie: Copie) -> None:
    project = render(copie, project_name="Acme Chat Gateway")

    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["project_slug"] == "acme-chat-gateway"
    assert answers["package_name"] == "acme_chat_gateway"
    assert "src/acme_chat_gateway/main.py" in rendered_files(project)
    assert 'name = "acme-chat-gateway"' in (project / "pyproject.toml").read_text()


def test_answers_file_round_trips(copie: Copie) -> None:
    given = {
        "project_name": "Round Trip",
        "project_slug": "round-trip-svc",
        "package_name": "round_trip_svc",
        "description": "Answers survive",
        "author_name": "Ada Lovelace",
        "author_email": "ada@example.com",
        "license": "BSD-3-Clause",
        "endpoints": ["chat_completions"],
        "auth": False,
    }
    first = render(copie, **given)
    recorded = yaml.safe_load((first / ".copier-answers.yml").read_text())
    second = render(copie, **{k: v for k, v in recorded.items() if not k.startswith("_")})

    assert {key: recorded[key] for key in given} == given
    assert recorded["_src_path"]
    rerecorded = yaml.safe_load((second / ".copier-answers.yml").read_text())
    assert {k: v for k, v in rerecorded.items() if k != "_commit"} == {
        k: v for k, v in recorded.items() if k != "_commit"
    }
    for relative in rendered_files(first) - {".env", "uv.lock", ".copier-answers.yml"}:
        assert (first / relative).read_text() == (second / relative).read_text(), relative


def test_copy_creates_env_with_random_token(copie: Copie) -> None:
    first, second = render(copie), render(copie)

    tokens = [
        re.search(r"^API_AUTH_TOKENS=(\S+)$", (p / ".env").read_text(), re.MULTILINE)
        for p in (first, second)
    ]
    assert all(tokens)
    assert tokens[0] and tokens[1] and tokens[0].group(1) != tokens[1].group(1)
    assert len(tokens[0].group(1)) >= 32
    assert ".env" in (first / ".gitignore").read_text().splitlines()
    assert (first / ".env").stat().st_mode & 0o777 == 0o600


def test_env_file_is_private_from_its_creation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Permission changes disabled: a file created readable by others and narrowed afterwards
    # (readable in between) stays readable.
    monkeypatch.setattr(os, "chmod", lambda *args, **kwargs: None)
    monkeypatch.setattr(os, "fchmod", lambda *args, **kwargs: None)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env.example").write_text("LOG_LEVEL=INFO\nAPI_AUTH_TOKENS=\n")
    umask = os.umask(0o022)
    try:
        setup_project.create_env_file()
    finally:
        os.umask(umask)

    assert (tmp_path / ".env").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / ".env").read_text().startswith("LOG_LEVEL=INFO\nAPI_AUTH_TOKENS=sk-")


@pytest.mark.parametrize(
    ("license_id", "phrase"),
    [
        ("MIT", "Permission is hereby granted, free of charge"),
        ("Apache-2.0", "Apache License"),
        ("BSD-3-Clause", "Neither the name of the copyright holder"),
    ],
)
def test_license_text_matches_answer(copie: Copie, license_id: str, phrase: str) -> None:
    project = render(copie, license=license_id, author_name="Ada Lovelace")

    text = (project / "LICENSE").read_text()
    assert phrase in text
    assert "Ada Lovelace" in text
    assert f'license = "{license_id}"' in (project / "pyproject.toml").read_text()


def test_readme_question_table_follows_the_prompts_order() -> None:
    """README.md's table of questions lists every question copier asks, in its order."""
    root = Path(__file__).parents[1]
    questions = yaml.safe_load((root / "copier.yml").read_text())
    asked = [
        name
        for name, question in questions.items()
        if not name.startswith("_") and question.get("when") is not False
    ]
    readme = (root / "README.md").read_text()
    table = readme.split("## Questions", 1)[1].split("\n\n", 2)[1]
    rows = re.findall(r"^\| `(\w+)` \|", table, re.MULTILINE)

    assert rows == asked
