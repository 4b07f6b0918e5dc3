"""Identifiers and timestamps of generated objects."""

import time
import uuid


def new_id(prefix: str) -> str:
    """A unique id in OpenAI's style, e.g. "chatcmpl-3f2a..."."""
    return f"{prefix}-{uuid.uuid4().hex}"


def now() -> int:
    """The current Unix time in seconds, as in `created` fields."""
    return int(time.time())
