"""Who is calling: the Bearer credential as auth reads it, and the stable id of a caller
derived from it (a hash: the token itself is never kept). Rate limits count per caller; stored
responses belong to the caller that created them."""

import hashlib
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security.utils import get_authorization_scheme_param

# The owner of whatever a caller without a checked key stores: with no auth, there is one.
ANYONE = ""


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` value, read as auth reads it (the
    scheme in any case, spaces around the token ignored); None for anything else."""
    scheme, token = get_authorization_scheme_param(authorization)
    return token if scheme.lower() == "bearer" and token else None


def caller_id(token: str) -> str:
    """A caller's stable id: a hash of its token."""
    return hashlib.blake2b(token.encode(), digest_size=16).hexdigest()


async def get_caller(request: Request) -> str:
    """The id of the caller whose key auth accepted (ANYONE without auth)."""
    caller: str = getattr(request.state, "caller", ANYONE)
    return caller


CallerDep = Annotated[str, Depends(get_caller)]
