"""Jinja extensions for copier.yml: derived names, answer validators and git defaults."""

import datetime
import keyword
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

from copier_template_extensions import ContextHook
from jinja2 import Environment
from jinja2.ext import Extension

# Words of lowercase letters and digits joined by single hyphens: a valid distribution name
# (PEP 508 rejects a trailing hyphen) and a valid part of a Docker image name.
SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
# No quotes, backslashes, brackets or separators: the email is written into pyproject.toml
# as a TOML string and into package metadata as `Name <email>`.
EMAIL_PART = r'[^@\s"\\<>()\[\],;:\x00-\x1f\x7f]+'
EMAIL_PATTERN = re.compile(rf"^{EMAIL_PART}@{EMAIL_PART}\.{EMAIL_PART}$")
# Line breaks and other control characters, which no one-line answer may contain: they end
# a string literal in main.py and a TOML string in pyproject.toml.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def reserved_names(path: Path) -> dict[str, frozenset[str]]:
    """The names of reserved_names.txt by kind: `module`, `distribution`, `command`."""
    names: dict[str, set[str]] = {"module": set(), "distribution": set(), "command": set()}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            kind, name = line.split()
            names[kind].add(name)
    return {kind: frozenset(found) for kind, found in names.items()}


# What a generated project imports, installs and runs (the file says how it is kept complete).
RESERVED = reserved_names(Path(__file__).with_name("reserved_names.txt"))
# A package named like a module the project imports would shadow it.
DEPENDENCY_MODULES = RESERVED["module"]
# A slug named like a distribution would make the project depend on itself; like a command,
# replace it (`uv run pytest` would serve).
RESERVED_SLUGS = RESERVED["distribution"] | RESERVED["command"]


def slugify(value: str, separator: str = "-") -> str:
    """Lowercase ASCII words of `value` joined by `separator`: "My API!" -> "my-api"."""
    ascii_value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_value.lower())
    return separator.join(words)


# Words written in capitals when a project name is derived from a folder name.
ACRONYMS = frozenset({"ai", "api", "gpt", "http", "llm", "ml", "rag", "sdk", "ui"})
FALLBACK_PROJECT_NAME = "My OpenAI API"


def project_name_from_path(path: object) -> str:
    """A project name from the destination folder: "../acme-gateway" -> "Acme Gateway",
    "llm-api" -> "LLM API". A folder name that makes no valid project name gives "My OpenAI API"."""
    words = re.findall(r"[^\W_]+", Path(str(path)).resolve().name)
    name = " ".join(
        word.upper() if word.lower() in ACRONYMS else word[0].upper() + word[1:] for word in words
    )
    return name if name and not project_name_error(name) else FALLBACK_PROJECT_NAME


def escape_string(value: str) -> str:
    """`value` escaped for a double-quoted Python or TOML string: backslashes and quotes."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


def python_string(value: str) -> str:
    """A Python string literal of `value`, quoted as ruff format would write it: double quotes
    unless the value holds more double than single quotes."""
    escaped = value.replace("\\", "\\\\")
    if value.count('"') > value.count("'"):
        return "'" + escaped.replace("'", "\\'") + "'"
    return '"' + escaped.replace('"', '\\"') + '"'


# Copier's prompt shows a validator's message on one line of about 80 columns: the rule comes
# first, then the answer it refused, cut short.
def shown(value: str) -> str:
    return repr(value) if len(value) <= 16 else repr(value[:12]) + "..."


def free_text_error(value: str, what: str = "answer") -> str:
    """The validator message for a one-line free-text answer, empty when it is valid."""
    if CONTROL_CHARACTERS.search(value):
        return f"The {what} must be one line, without control characters (newline, tab)."
    return ""


def project_name_error(name: str) -> str:
    """The validator message for a project name, empty when it is valid."""
    stripped = name.strip()
    if not stripped:
        return "The project name must not be empty."
    if not stripped[0].isalpha():
        return f"The project name must start with a letter; got {shown(name)}."
    return free_text_error(name, "project name")


def project_slug_error(slug: str) -> str:
    """The validator message for a project slug, empty when it is valid."""
    if not SLUG_PATTERN.fullmatch(slug):
        return f"Lowercase words joined by single hyphens, such as my-api; got {shown(slug)}."
    if slug in RESERVED_SLUGS:
        return f"Taken by a package or command the project uses: {shown(slug)}."
    return ""


def package_name_error(name: str) -> str:
    """The validator message for a Python package name, empty when it is valid."""
    if not name.isidentifier() or not name.isascii():
        return f"Must be a Python identifier, such as my_api; got {shown(name)}."
    if name != name.lower():
        return f"Must be lowercase; got {shown(name)}."
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"Must not be a Python keyword; got {shown(name)}."
    if name in sys.stdlib_module_names or name in DEPENDENCY_MODULES:
        return f"Would shadow a module the project imports: {shown(name)}."
    return ""


def author_email_error(email: str) -> str:
    """The validator message for an author email, empty when it is valid (or left empty)."""
    if email and not EMAIL_PATTERN.fullmatch(email):
        return f"Like name@example.com, no spaces, quotes or brackets; got {shown(email)}."
    return ""


def is_relative_path(source: str) -> bool:
    """Whether a template source is a relative path (not `/...`, `~/...`, a URL, `gh:...`)."""
    return not source.startswith(("/", "~")) and ":" not in source


def uv_lock_missing(project_dir: object) -> bool:
    """Whether the post-copy task left the project without uv.lock though uv is installed:
    `uv lock` failed (or the task did not run). For the message after copying."""
    uv = os.environ.get("UV") or shutil.which("uv")
    return uv is not None and not (Path(str(project_dir)) / "uv.lock").exists()


class NamesExtension(Extension):
    """Filters that derive, check and quote names: slugify, the *_error validators and
    the string quoting filters."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["slugify"] = slugify
        environment.filters["project_name_from_path"] = project_name_from_path
        environment.filters["project_name_error"] = project_name_error
        environment.filters["project_slug_error"] = project_slug_error
        environment.filters["package_name_error"] = package_name_error
        environment.filters["author_email_error"] = author_email_error
        environment.filters["free_text_error"] = free_text_error
        environment.filters["uv_lock_missing"] = uv_lock_missing
        environment.filters["is_relative_path"] = is_relative_path
        environment.filters["escape_string"] = escape_string
        environment.filters["python_string"] = python_string


def git_config(key: str) -> str:
    """A value from the user's git configuration, empty when git or the key is missing."""
    try:
        result = subprocess.run(
            ["git", "config", "--get", key], capture_output=True, text=True, check=False
        )
    except OSError:
        return ""
    return result.stdout.strip()


class GitDefaultsExtension(ContextHook):
    """Offers the git user's name and email as author defaults, and the year for licences.

    The hook runs for every Jinja context (over a thousand per render), so the values are looked
    up once per extension instance. Copier builds one Jinja environment, and so one instance,
    per render (`Worker.jinja_env`): a later copy in the same process sees the git
    configuration as it is then.
    """

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self._defaults: dict[str, Any] | None = None

    def defaults(self) -> dict[str, Any]:
        """The year and the git user's name and email, looked up on the first call."""
        if self._defaults is None:
            self._defaults = {
                "current_year": datetime.date.today().year,
                "git_user_name": git_config("user.name") or "Your Name",
                "git_user_email": git_config("user.email"),
            }
        return self._defaults

    def hook(self, context: dict[str, Any]) -> None:
        for key, value in self.defaults().items():
            context.setdefault(key, value)
