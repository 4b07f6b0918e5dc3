"""Migration steps for `_migrations` in copier.yml, run by `copier update` inside the project.

Usage: python migrate.py rename-answer ANSWERS_FILE OLD NEW

`rename-answer` serves a release that renames a question. Run in the "before" stage, it moves the
recorded answer to the new name, so the update keeps the user's value instead of falling back to
the default. It is idempotent: once the new name is recorded, it does nothing.
"""

import re
import sys
from pathlib import Path


def rename_answer(answers_file: Path, old: str, new: str) -> None:
    """Rename the top-level key `old` to `new` in the answers file, unless `new` is there."""
    if not answers_file.exists():
        return
    text = answers_file.read_text()
    if re.search(rf"^{re.escape(new)}:", text, re.MULTILINE):
        return
    answers_file.write_text(
        re.sub(rf"^{re.escape(old)}:", f"{new}:", text, count=1, flags=re.MULTILINE)
    )


def main(arguments: list[str]) -> int:
    match arguments:
        case ["rename-answer", answers_file, old, new]:
            rename_answer(Path(answers_file), old, new)
        case _:
            print(__doc__, file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
