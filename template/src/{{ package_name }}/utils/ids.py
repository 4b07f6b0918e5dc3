"""Identifiers and timestamps of generated objects."""

import random
import time


def new_id(prefix: str) -> str:
    """A unique id in OpenAI's style, e.g. "chatcmpl-3f2a..." (128 random bits)."""
    return f"{prefix}-{random_hex()}"


def random_hex() -> str:
    """128 random bits as 32 hex digits. Ids must be unique, not secret: the process's
    pseudo-random generator (seeded from the OS) is as good here as a system call per id."""
    return f"{random.getrandbits(128):032x}"


def now() -> int:
    """The current Unix time in seconds, as in `created` fields."""
    return int(time.time())
