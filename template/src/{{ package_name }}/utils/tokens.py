"""A tiny stand-in tokenizer for the mock backend: words and punctuation marks.

Pieces keep their leading whitespace, so joining them gives the text back exactly.
"""

import re

TOKEN_PATTERN = re.compile(r"\s*(?:\w+|[^\w\s])|\s+")


def split_tokens(text: str) -> list[str]:
    return TOKEN_PATTERN.findall(text)


def count_tokens(text: str) -> int:
    return len(split_tokens(text))
