"""A new project as a newcomer makes it: `copier copy --defaults` with no answers, and git.
(That every copy is a git project with a first commit is checked on each variant, in
test_variants.py.)"""

from pathlib import Path

import copier
import pytest
import yaml

from extensions.context import FALLBACK_PROJECT_NAME, project_name_from_path

from .conftest import git

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("../acme-gateway", "Acme Gateway"),
        ("/srv/llm_api", "LLM API"),
        ("/srv/Café déjà", "Café Déjà"),
        ("/srv/2024", FALLBACK_PROJECT_NAME),
    ],
)
def test_project_name_from_path(path: str, name: str) -> None:
    assert project_name_from_path(path) == name


def test_copy_with_defaults_and_no_answers_names_the_project_after_its_folder(
    tmp_path: Path,
) -> None:
    destination = tmp_path / "acme-gateway"

    copier.run_copy(
        str(TEMPLATE_ROOT), destination, vcs_ref="HEAD", defaults=True, unsafe=True, quiet=True
    )

    answers = yaml.safe_load((destination / ".copier-answers.yml").read_text())
    assert (answers["project_name"], answers["project_slug"]) == ("Acme Gateway", "acme-gateway")
    assert (destination / "src" / "acme_gateway" / "main.py").is_file()
    assert (destination / "README.md").read_text().startswith("# Acme Gateway\n")


def test_copy_inside_a_repository_leaves_that_repository_alone(tmp_path: Path) -> None:
    outer = tmp_path / "monorepo"
    outer.mkdir()
    git(outer, "init", "--quiet")
    (outer / "notes.txt").write_text("the user's\n")
    git(outer, "add", "notes.txt")
    git(outer, "commit", "--quiet", "--message", "The user's commit")

    copier.run_copy(
        str(TEMPLATE_ROOT),
        outer / "services" / "api",
        data={"project_name": "Demo API"},
        vcs_ref="HEAD",
        defaults=True,
        unsafe=True,
        quiet=True,
    )

    assert not (outer / "services" / "api" / ".git").exists()
    assert git(outer, "log", "--format=%s").splitlines() == ["The user's commit"]
    assert git(outer, "diff", "--cached", "--name-only") == ""  # nothing staged for the user
