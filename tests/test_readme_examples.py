"""The default project's README examples, run as pasted in the project they are documented in
(only the server's port is another: the examples say 8000), each one twice: an example that
passes once per server start fails its second run."""

import re
import subprocess
from pathlib import Path

import pytest

from .conftest import SHARES_DEFAULT_PROJECT, project_env, serve

pytestmark = SHARES_DEFAULT_PROJECT

FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^#+ (.+)$", re.MULTILINE)
README_URL = "http://127.0.0.1:8000"
TEST_TOKEN = "test-token"  # the token the test-double example says its server accepts


def examples(readme: str, section: str, language: str) -> list[str]:
    """The code blocks in `language` under the heading `section` (up to the next heading)."""
    fences = [match.span() for match in FENCE.finditer(readme)]
    headings = [
        (match.start(), match.group(1))
        for match in HEADING.finditer(readme)
        if not any(start < match.start() < end for start, end in fences)  # a comment in code
    ]
    starts = [start for start, title in headings if title == section]
    assert starts, f"README has no section {section!r}"
    ends = [start for start, _ in headings if start > starts[0]] + [len(readme)]
    text = readme[starts[0] : ends[0]]
    blocks = [code for lang, code in FENCE.findall(text) if lang == language]
    assert blocks, f"README's {section!r} has no {language} example"
    return blocks


def run_twice(command: list[str], cwd: Path, env: dict[str, str]) -> list[str]:
    """Run an example twice; fail with its output unless both runs pass. Their outputs."""
    outputs = []
    for attempt in ("first", "second"):
        result = subprocess.run(
            command,
            cwd=cwd,
            env={**project_env(), **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, (
            f"{attempt} run of {command} failed:\n{result.stdout}\n{result.stderr}"
        )
        outputs.append(result.stdout)
    return outputs


def env_token(project: Path) -> str:
    line = next(
        line
        for line in (project / ".env").read_text().splitlines()
        if line.startswith("API_AUTH_TOKENS=")
    )
    return line.split("=", 1)[1].split(",")[0]


def python_example(project: Path, url: str, code: str, path: Path) -> list[str]:
    path.write_text(code.replace(README_URL, url))
    return ["uv", "run", "--project", str(project), "--locked", "python", str(path)]


def test_try_it_and_agent_examples_run(default_project: Path, tmp_path: Path) -> None:
    readme = (default_project / "README.md").read_text()
    with serve(default_project) as url:  # its tokens from .env, as `uv run <project>` reads them
        [shell] = examples(readme, "Try it", "sh")
        for output in run_twice(
            ["bash", "-e", "-c", shell.replace(README_URL, url)], default_project, {}
        ):
            assert '{"error"' not in output and '"status":"ok"' in output, output
            assert "data: [DONE]" in output and "event: response.completed" in output, output

        key = {"OPENAI_API_KEY": env_token(default_project)}
        [snippet] = examples(readme, "Try it", "python")
        command = python_example(default_project, url, snippet, tmp_path / "snippet.py")
        for output in run_twice(command, default_project, key):
            assert "mock-model" in output and "CompletionUsage(" in output, output

        [agent] = examples(readme, "Agents: function tools", "python")
        command = python_example(default_project, url, agent, tmp_path / "agent.py")
        for output in run_twice(command, default_project, key):
            assert "The tool returned" in output, output


def test_test_double_examples_pass_twice(default_project: Path, tmp_path: Path) -> None:
    """The script of "The script", the journal's curl lines and the application test of "In
    tests", against a server started as that section says."""
    readme = (default_project / "README.md").read_text()
    [script_text] = examples(readme, "The script", "yaml")
    (tmp_path / "tests").mkdir()
    script = tmp_path / "tests" / "mock-script.yaml"  # where the example test says it is
    script.write_text(script_text)
    env = {"MOCK_SCRIPT": str(script), "MOCK_JOURNAL": "true", "API_AUTH_TOKENS": TEST_TOKEN}

    with serve(default_project, env) as url:
        [journal] = examples(readme, "The journal", "sh")
        command = ["bash", "-e", "-c", journal.replace(README_URL, url)]
        for output in run_twice(command, tmp_path, {"OPENAI_API_KEY": TEST_TOKEN}):
            assert output.startswith('{"object":"list"') and '"deleted":' in output, output

        [app_test] = examples(readme, "In tests", "python")
        test_file = tmp_path / "test_app_example.py"
        test_file.write_text(app_test.replace(README_URL, url))
        pytest_run = ["uv", "run", "--project", str(default_project), "--locked", "pytest"]
        command = [*pytest_run, "-p", "no:cacheprovider", "-q", str(test_file)]
        for output in run_twice(command, tmp_path, {}):
            assert re.search(r"\b2 passed\b", output), output


@pytest.mark.parametrize("language", ["python", "sh", "yaml"])
def test_examples_finds_blocks_only_in_their_section(language: str) -> None:
    readme = f"# A\n```{language}\n# one\n```\n## B\n```{language}\ntwo\n```\n```text\nthree\n```\n"

    assert examples(readme, "B", language) == ["two\n"]
    assert examples(readme, "A", language) == ["# one\n"]
