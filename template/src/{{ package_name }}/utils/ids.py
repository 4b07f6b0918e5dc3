"""Identifiers and timestamps of generated objects."""

import secrets
import time


def new_id(prefix: str) -> str:
    """A unique id in OpenAI's style, e.g. "chatcmpl-3f2a..." (128 random bits)."""
    return f"{prefix}-{random_hex()}"


def random_hex() -> str:
    """128 random bits from the OS's cryptographic generator, as 32 hex digits. Ids must be
    unpredictable, not only unique: a pseudo-random generator's next id can be computed from
    ids it gave before (request ids are public), and a stored response's id is its address."""
    return secrets.token_hex(16)


def now() -> int:
    """The current Unix time in seconds, as in `created` fields."""
    return int(time.time())
