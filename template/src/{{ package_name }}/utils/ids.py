"""Identifiers and timestamps of generated objects."""

import secrets
import time


def new_id(prefix: str) -> str:
    """A unique id in OpenAI's style, e.g. "chatcmpl-3f2a..." (128 random bits)."""
    return f"{prefix}-{secrets.token_hex(16)}"


def now() -> int:
    """The current Unix time in seconds, as in `created` fields."""
    return int(time.time())
