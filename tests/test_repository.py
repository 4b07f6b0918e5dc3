"""The template repository's own automation files."""

from pathlib import Path

from .conftest import check_workflow

ROOT = Path(__file__).parent.parent


def test_template_workflows_are_valid(tmp_path: Path) -> None:
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.yaml"))

    assert workflows
    for workflow in workflows:
        check_workflow(workflow, tmp_path)
