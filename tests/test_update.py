"""`copier update`: template releases reach existing projects without losing the user's work.

Each test makes a temporary git copy of this template (as it is on disk), tags it v0.1.0,
renders a project from that tag and edits it like a user would; most then release v0.2.0 of the
template with a change and update the project to it.
"""

import shutil
import subprocess
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

from extensions.migrate import rename_answer

from .conftest import rendered_files, run_in

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]
ANSWERS = {"project_name": "Demo API", "description": "Our model behind the OpenAI API"}
PACKAGE = "src/demo_api"
CONFLICT_MARKERS = ("<<<<<<< ", ">>>>>>> ")
USER_TITLE = "# Demo API (internal)\n"
USER_TEST = '''"""The user's own test: template updates must keep it."""


def test_user_code_survives() -> None:
    assert "survives".startswith("surv")
'''


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", message)


def release(template: Path, tag: str) -> None:
    commit_all(template, f"Release {tag}")
    git(template, "tag", tag)


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not found in {path}"
    path.write_text(text.replace(old, new, 1))


def conflicts_in(project: Path) -> list[str]:
    """Files with conflict markers, and rejected hunks (.rej files), left by an update."""
    found = []
    for relative in sorted(rendered_files(project)):
        lines = (project / relative).read_text(errors="replace").splitlines()
        if relative.endswith(".rej") or any(line.startswith(CONFLICT_MARKERS) for line in lines):
            found.append(relative)
    return found


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """A git copy of this template, uncommitted edits included, tagged v0.1.0."""
    repo = tmp_path / "template"
    repo.mkdir()
    listed = git(TEMPLATE_ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        if (TEMPLATE_ROOT / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(TEMPLATE_ROOT / name, repo / name)
    git(repo, "init", "--quiet", "--initial-branch=main")
    release(repo, "v0.1.0")
    return repo


def new_project(template: Path, destination: Path, **answers: Any) -> Path:
    """Render v0.1.0 of `template` as a user would: the setup task makes it a git project
    with a first commit, so it is ready for `copier update`."""
    copier.run_copy(
        str(template),
        destination,
        data={**ANSWERS, **answers},
        vcs_ref="v0.1.0",
        defaults=True,
        unsafe=True,
        quiet=True,
    )
    assert git(destination, "status", "--porcelain") == ""
    return destination


def update(project: Path, **options: Any) -> None:
    """`copier update --trust --defaults` (keep every answer, take defaults for new questions)."""
    copier.run_update(project, defaults=True, overwrite=True, unsafe=True, quiet=True, **options)


def recorded_answers(project: Path) -> dict[str, Any]:
    answers: dict[str, Any] = yaml.safe_load((project / ".copier-answers.yml").read_text())
    return answers


def test_update_brings_release_and_keeps_user_work(template: Path, tmp_path: Path) -> None:
    project = new_project(template, tmp_path / "demo-api")
    # The user's work: a setting, a dependency, a pinned version, their own title and test.
    replace_in(project / ".env", "LOG_LEVEL=INFO", "LOG_LEVEL=DEBUG")
    for command in (
        ("uv", "add", "--no-sync", "--quiet", "six>=1.16"),
        ("uv", "lock", "--quiet", "--upgrade-package", "six==1.16.0"),
    ):
        result = run_in(project, *command)
        assert result.returncode == 0, f"{' '.join(command)}:\n{result.stderr}"
    replace_in(project / "README.md", "# Demo API\n", USER_TITLE)
    (project / "tests" / "test_user.py").write_text(USER_TEST)
    commit_all(project, "User work")
    user_env = (project / ".env").read_text()
    # Release 0.2.0: a changed template file, a new file and a new question.
    (template / "template" / "README.md.jinja").write_text(
        (template / "template" / "README.md.jinja").read_text() + "\nNew in template 0.2.0.\n"
    )
    (template / "template" / "tests" / "test_release.py").write_text(
        '"""Arrived with template 0.2.0."""\n\n\ndef test_release_file_runs() -> None:\n'
        "    assert __doc__\n"
    )
    with (template / "copier.yml").open("a") as copier_yml:
        copier_yml.write("\nrelease_note:\n  type: str\n  default: From template 0.2.0\n")
    (template / "template" / "RELEASE.md.jinja").write_text("{{ release_note }}\n")
    release(template, "v0.2.0")

    update(project)

    answers = recorded_answers(project)
    assert answers["_commit"] == "v0.2.0"
    assert answers["description"] == ANSWERS["description"]
    assert answers["release_note"] == "From template 0.2.0"
    assert (project / "RELEASE.md").read_text() == "From template 0.2.0\n"
    assert (project / "tests" / "test_release.py").exists()
    readme = (project / "README.md").read_text()
    assert readme.startswith(USER_TITLE)
    assert readme.endswith("\nNew in template 0.2.0.\n")
    assert (project / ".env").read_text() == user_env
    assert (project / "tests" / "test_user.py").read_text() == USER_TEST
    assert '"six>=1.16"' in (project / "pyproject.toml").read_text()
    assert 'name = "six"\nversion = "1.16.0"\n' in (project / "uv.lock").read_text()
    assert conflicts_in(project) == []
    # The updated project installs from its lock, and runs the tests the user and the release
    # brought, beside one of its own (the variants run every project's whole suite).
    tests = ("tests/test_user.py", "tests/test_release.py", "tests/test_main.py")
    pytest_run = ("uv", "run", "--locked", "pytest", "-q", "--no-cov", *tests)
    for check in (("uv", "sync", "--locked"), pytest_run):
        result = run_in(project, *check)
        assert result.returncode == 0, f"{' '.join(check)}:\n{result.stdout}\n{result.stderr}"


@pytest.mark.parametrize("conflict", ["inline", "rej"])
def test_update_shows_conflict_with_user_edit(
    template: Path, tmp_path: Path, conflict: str
) -> None:
    project = new_project(template, tmp_path / "demo-api")
    replace_in(project / "README.md", "# Demo API\n", USER_TITLE)
    commit_all(project, "User title")
    replace_in(
        template / "template" / "README.md.jinja",
        "# {{ project_name }}\n",
        "# API: {{ project_name }}\n",
    )
    release(template, "v0.2.0")

    update(project, conflict=conflict)

    readme = (project / "README.md").read_text()
    if conflict == "inline":
        assert conflicts_in(project) == ["README.md"]
        assert readme.startswith(
            f"<<<<<<< before updating\n{USER_TITLE}=======\n# API: Demo API\n"
            ">>>>>>> after updating\n"
        )
        unmerged = git(project, "diff", "--name-only", "--diff-filter=U")
        assert unmerged.split() == ["README.md"]
    else:
        assert conflicts_in(project) == ["README.md.rej"]
        assert readme.startswith("# API: Demo API\n")
        assert f"+{USER_TITLE}" in (project / "README.md.rej").read_text()


def test_update_migration_keeps_renamed_answer(template: Path, tmp_path: Path) -> None:
    project = new_project(template, tmp_path / "demo-api")
    # Release 0.2.0 renames the question `description` to `summary`, with a migration.
    replace_in(template / "copier.yml", "\ndescription:\n", "\nsummary:\n")
    replace_in(template / "copier.yml", "{{ description |", "{{ summary |")  # its validator
    replace_in(
        template / "copier.yml",
        "\n_migrations:\n",
        "\n_migrations:\n"
        "  - version: v0.2.0\n"
        "    when: \"{{ _stage == 'before' }}\"\n"
        '    command: ["{{ _copier_python }}", "{{ _copier_conf.src_path }}/extensions/migrate.py",'
        ' rename-answer, "{{ _copier_conf.answers_file }}", description, summary]\n',
    )
    renamed = 0
    for path in (template / "template").rglob("*.jinja"):
        text = path.read_text()
        if "{{ description" in text:
            path.write_text(text.replace("{{ description", "{{ summary"))
            renamed += 1
    assert renamed > 0
    release(template, "v0.2.0")

    update(project)

    answers = recorded_answers(project)
    assert answers["summary"] == ANSWERS["description"]
    assert "description" not in answers
    pyproject = (project / "pyproject.toml").read_text()
    assert f'description = "{ANSWERS["description"]}"' in pyproject
    assert conflicts_in(project) == []


def test_rename_answer_is_idempotent(tmp_path: Path) -> None:
    answers_file = tmp_path / ".copier-answers.yml"
    answers_file.write_text("# header\n_commit: v0.1.0\ndescription: Mine\nlicense: MIT\n")

    rename_answer(answers_file, "description", "summary")
    rename_answer(answers_file, "description", "summary")

    assert answers_file.read_text() == "# header\n_commit: v0.1.0\nsummary: Mine\nlicense: MIT\n"


# Each case: the answers the project starts with, the changed answers, a file that must arrive.
ANSWER_CHANGES = {
    "endpoints+embeddings": (
        {},
        {"endpoints": ["models", "chat_completions", "embeddings"]},
        f"{PACKAGE}/api/v1/endpoints/embeddings.py",
    ),
    "docker-on": ({"docker": False}, {"docker": True}, "Dockerfile"),
}


@pytest.mark.parametrize(
    ("initial", "changed", "new_file"), ANSWER_CHANGES.values(), ids=list(ANSWER_CHANGES)
)
def test_update_with_new_answer_adds_only_its_files(
    template: Path,
    tmp_path: Path,
    initial: dict[str, Any],
    changed: dict[str, Any],
    new_file: str,
) -> None:
    project = new_project(template, tmp_path / "demo-api", **initial)
    replace_in(project / "README.md", "# Demo API\n", USER_TITLE)
    (project / "tests" / "test_user.py").write_text(USER_TEST)
    commit_all(project, "User work")
    user_env = (project / ".env").read_text()
    before = rendered_files(project)

    update(project, data=changed)

    reference = tmp_path / "reference"
    copier.run_copy(
        str(template),
        reference,
        data={**ANSWERS, **initial, **changed},
        vcs_ref="v0.1.0",
        defaults=True,
        unsafe=True,
        quiet=True,
        skip_tasks=True,
    )
    expected = rendered_files(reference)
    after = rendered_files(project)
    assert after == expected | {".env", "uv.lock", "tests/test_user.py"}
    assert new_file in after - before
    for relative in expected - {"README.md"}:
        assert (project / relative).read_text() == (reference / relative).read_text(), relative
    reference_readme = (reference / "README.md").read_text()
    assert (project / "README.md").read_text() == reference_readme.replace(
        "# Demo API\n", USER_TITLE, 1
    )
    assert (project / ".env").read_text() == user_env
    assert (project / "tests" / "test_user.py").read_text() == USER_TEST


# The template before its services became a package per backend (and settings a class per
# feature): projects made then must keep their edits when they update across the move.
BEFORE_PACKAGES = "bdaa6318cfd4da511df59be53125bba6fa6c1e5f"
# Each user edit of such a project: the file, the template's line, the user's line.
EDITS = {
    "reply": (f"{PACKAGE}/services/mock_reply.py", 'REPLY_PREFIX = "This is a mock response.'),
    "backend": (f"{PACKAGE}/backend.py", "app.state.chat_service = MockChatService("),
    "default": (f"{PACKAGE}/core/config.py", 'log_format: Literal["text", "json"] = "text"'),
    "chat": (f"{PACKAGE}/services/chat_service.py", 'prompt = last_user.text if last_user else ""'),
}
USER_LINES = {
    "reply": 'REPLY_PREFIX = "Our model says: "  # the user\'s',
    "backend": "app.state.chat_service = OurChatService(settings.mock_context_window)  # ours",
    "default": 'log_format: Literal["text", "json"] = "json"  # the user\'s',
    "chat": 'prompt = last_user.text.strip() if last_user else ""  # the user\'s',
}


def edit_line(path: Path, starts: str, line: str) -> None:
    """Replace the line that begins (after indentation) with `starts` by `line`."""
    lines = path.read_text().splitlines(keepends=True)
    [number] = [n for n, text in enumerate(lines) if text.strip().startswith(starts)]
    indent = lines[number][: len(lines[number]) - len(lines[number].lstrip())]
    lines[number] = indent + line + "\n"
    path.write_text("".join(lines))


def test_update_across_the_move_to_packages_keeps_user_edits(tmp_path: Path) -> None:
    old = tmp_path / "template"
    old.mkdir()
    archive = subprocess.run(
        ["git", "archive", BEFORE_PACKAGES], cwd=TEMPLATE_ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
    git(old, "init", "--quiet", "--initial-branch=main")
    release(old, "v0.1.0")
    project = new_project(old, tmp_path / "demo-api")
    for name, (relative, starts) in EDITS.items():
        edit_line(project / relative, starts, USER_LINES[name])
    user_test = project / "tests" / "api" / "v1" / "test_agent_loop.py"
    user_test.write_text(user_test.read_text() + "\n\ndef test_users_own() -> None:\n    pass\n")
    commit_all(project, "User work")
    # Release 0.2.0: this template as it is now.
    for path in [*old.iterdir()]:
        if path.name != ".git":
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    listed = git(TEMPLATE_ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        if (TEMPLATE_ROOT / name).is_file():
            (old / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(TEMPLATE_ROOT / name, old / name)
    release(old, "v0.2.0")

    update(project)

    # Moved files: the edits carried to the new home (merged, or in conflict markers there).
    reply = (project / PACKAGE / "services" / "mock" / "reply.py").read_text()
    assert USER_LINES["reply"] in reply
    backend = (project / PACKAGE / "services" / "mock" / "backend.py").read_text()
    assert USER_LINES["backend"] in backend
    assert not (project / PACKAGE / "backend.py").exists()
    # Files the template rewrote: the edits in conflict markers, for the user to move.
    for name, relative in (("default", EDITS["default"][0]), ("chat", EDITS["chat"][0])):
        assert USER_LINES[name] in (project / relative).read_text(), name
    # A file the template dropped: kept with the user's test.
    assert "def test_users_own() -> None:" in user_test.read_text()
    conflicted = set(conflicts_in(project))
    assert {EDITS["default"][0], EDITS["chat"][0], f"{PACKAGE}/services/mock/backend.py"} <= (
        conflicted
    )
    unmerged = set(git(project, "diff", "--name-only", "--diff-filter=U").split())
    assert f"{PACKAGE}/services/mock/backend.py" in unmerged
