"""After `copier update`: edits the user made to files that the new template no longer has.

Copier removes a file that only the old template version had, edited or not. Run in the
project after every update (the "after" stage), this finds each file the update removed that the
user had edited (its committed content differs from the old version's render) and carries the
edits: into the file's new home when the template moved it (MOVED), as a three-way merge that
leaves conflict markers where the edits do not apply; else back at its old path. Either way the
file is listed, and a conflicted one is marked unmerged as copier marks its own conflicts.
Without removed files it does nothing (no render).

Usage (copier.yml's `_migrations`): python carry_edits.py TEMPLATE OLD_REF
"""

import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

# Where the template moved files, as paths in a project ({package}: the package name,
# {backend}: "mock" or "gateway", the backend's package). The 0.1 layout -> packages per backend.
SERVICES = "src/{package}/services/"
MOVED = {"src/{package}/backend.py": SERVICES + "{backend}/backend.py"} | {
    SERVICES + old: SERVICES + new
    for old, new in {
        "mock_double.py": "mock/double.py",
        "mock_journal.py": "mock/journal.py",
        "mock_script.py": "mock/script.py",
        "mock_reply.py": "mock/reply.py",
        "mock_tools.py": "mock/tools.py",
        "mock_arguments.py": "mock/json_values.py",
        "mock/arguments.py": "mock/json_values.py",
        "response_store.py": "mock/response_store.py",
        "redis_response_store.py": "mock/redis_response_store.py",
        "response_stream.py": "mock/response_stream.py",
        "upstream.py": "gateway/upstream.py",
        "upstream_models.py": "gateway/upstream_models.py",
        "gateway.py": "gateway/service.py",
        "gateway_responses.py": "gateway/responses.py",
        "relay.py": "gateway/relay.py",
        "stream_relay.py": "gateway/stream_relay.py",
        "response_relay.py": "gateway/response_relay.py",
    }.items()
}
# Copier's labels for its own conflicts: the user's side, the old template, the new one.
LABELS = ("before updating", "last update", "after updating")


def git(*arguments: str, stdin: bytes | None = None) -> bytes:
    return subprocess.run(["git", *arguments], input=stdin, capture_output=True, check=True).stdout


def removed_files() -> list[str]:
    """Files committed before the update that it removed from the working tree."""
    listed = git("diff", "--name-only", "--relative", "--diff-filter=D", "-z", "HEAD")
    return [name for name in listed.decode().split("\0") if name]


def moves_for(answers: Mapping[str, Any]) -> dict[str, str]:
    names = {
        "package": answers["package_name"],
        "backend": "gateway" if answers.get("backend") == "openai_proxy" else "mock",
    }
    return {old.format(**names): new.format(**names) for old, new in MOVED.items()}


def render_old_version(template: str, ref: str, answers: Mapping[str, Any], into: Path) -> None:
    """The project as the old template version made it, with the recorded answers."""
    import copier  # the interpreter copier runs migrations with has it

    data = {key: value for key, value in answers.items() if not key.startswith("_")}
    copier.run_copy(
        template,
        into,
        data=data,
        vcs_ref=ref,
        defaults=True,
        quiet=True,
        unsafe=True,
        skip_tasks=True,
    )


def merge_into(target: Path, edited: bytes, before: bytes) -> bool:
    """Three-way merge the user's `edited` version of a file (the template's was `before`) into
    `target`, the template's new file; True if it left conflicts, then marked unmerged."""
    with tempfile.TemporaryDirectory() as scratch:
        ours, base, theirs = (Path(scratch) / name for name in ("ours", "base", "theirs"))
        ours.write_bytes(edited)
        base.write_bytes(before)
        theirs.write_bytes(target.read_bytes())
        merge = ["git", "merge-file", *(f"-L{label}" for label in LABELS), str(ours)]
        conflicts = subprocess.run([*merge, str(base), str(theirs)], check=False).returncode
        target.write_bytes(ours.read_bytes())
        if conflicts:
            indexed = git("rev-parse", "--show-prefix").decode().strip() + target.as_posix()
            stages = [f"0 {'0' * 40}\t{indexed}"]
            for stage, path in ((1, base), (2, ours), (3, theirs)):
                sha = git("hash-object", "-w", "--", str(path)).decode().strip()
                stages.append(f"100644 {sha} {stage}\t{indexed}")
            git("update-index", "--index-info", stdin="\n".join(stages).encode())
    return conflicts != 0


def carry_edits(template: str, old_ref: str) -> list[str]:
    """Carry the user's edits of the files this update removed; what was done, one line each."""
    removed = removed_files()
    if not removed:
        return []
    answers = yaml.safe_load(git("show", "HEAD:./.copier-answers.yml"))
    moves = moves_for(answers)
    notes = []
    with tempfile.TemporaryDirectory() as scratch:
        old = Path(scratch) / "old"
        render_old_version(template, old_ref, answers, old)
        for name in removed:
            edited = git("show", f"HEAD:./{name}")
            pristine = old / name
            if pristine.is_file() and pristine.read_bytes() == edited:
                continue  # the template's file, untouched: its removal loses nothing
            target = Path(moves.get(name, name))
            before = pristine.read_bytes() if pristine.is_file() else b""
            if target != Path(name) and target.is_file():
                conflicted = merge_into(target, edited, before)
                outcome = "merge it by hand (conflict markers)" if conflicted else "merged"
                notes.append(f"{name}: moved to {target}; your edits {outcome}")
            else:
                Path(name).write_bytes(edited)
                notes.append(f"{name}: kept with your edits (the template no longer has it)")
    return notes


if __name__ == "__main__":
    for note in carry_edits(*sys.argv[1:3]):
        print(f"copier update: {note}")
